using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Contracts.Schemas;
using Soma.Core.Messaging;
using Soma.Core.Outbox;
using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The relay driver (`dotnet run -c Release -- relay [N]`): a real nats-server with JetStream (file storage) and the real
/// server built in this process on SQLite FULL with <c>Soma:Bus:Provider=nats</c>. The outbox is filled with N valid
/// <c>conversation.user_message</c> events (about 600 bytes each) over 200 sessions, then drained at concurrency 1 in
/// passes of 200 through the real path: <see cref="OutboxRelay"/> → <see cref="EventPublishSink"/> (parse, validate
/// against the schema, publish with the event id as <c>Nats-Msg-Id</c>, pipelined) → mark sent. The baseline, in the same
/// run against the same stream: a bare NATS.Net JetStream publish loop of the same payloads, awaited one by one and
/// pipelined 200 at a time, measured before and after the relay, and the NATS adapter alone. Also: validation alone per
/// event. 10,000 events go through every path first, untimed, until the JIT has promoted the validator's code.
/// </summary>
public static class RelayLoad
{
    private const int Batch = 200;
    private const int WarmUpEvents = 10_000;
    private const int Sessions = 200;
    private const string Tenant = "bench";

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        await using var nats = await NatsServer.StartNewAsync();
        await using var server = await BenchServer.StartAsync(new Dictionary<string, string?>
        {
            // No relay role: this driver is the only one publishing, at concurrency 1.
            ["Soma:Roles"] = "gateway",
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Bus:Provider"] = "nats",
            ["Soma:Bus:Nats:Url"] = nats.Url,
        });
        var services = server.Services;
        var bus = services.GetRequiredService<IEventBus>();
        await bus.PrepareAsync();
        var outbox = services.GetRequiredService<IOutbox>();
        var store = services.GetRequiredService<IStore>();
        var relay = services.GetRequiredService<OutboxRelay>();
        var sink = services.GetRequiredService<EventPublishSink>();
        var ids = services.GetRequiredService<IIdGenerator>();
        var js = new NatsJSContext((NatsConnection)services.GetRequiredService<INatsConnection>());

        // Warm up every path (JIT: the validator's code runs 5x slower until tiered compilation has promoted it, which
        // took about 10,000 events here; the connection; the stream's files) on events that are not timed.
        var warmUp = await FillAsync(store, outbox, ids, WarmUpEvents);
        await DrainAsync(relay, sink, WarmUpEvents);
        var subject = EventSubjects.For(Tenant, SchemaNames.Conversation);
        await BarePipelinedAsync(js, subject, [.. warmUp.Select(r => Encoding.UTF8.GetBytes(r.Payload))]);
        var validation = Validate(warmUp);

        var rows = await FillAsync(store, outbox, ids, n);
        var payloads = rows.Select(r => Encoding.UTF8.GetBytes(r.Payload)).ToArray();

        var sequentialBefore = await BareSequentialAsync(js, subject, payloads);
        var pipelinedBefore = await BarePipelinedAsync(js, subject, payloads);
        var (relayRate, passes, published, sinkShare) = await DrainAsync(relay, sink, n);
        var adapter = await AdapterPipelinedAsync(bus, subject, payloads);
        var sequentialAfter = await BareSequentialAsync(js, subject, payloads);
        var pipelinedAfter = await BarePipelinedAsync(js, subject, payloads);
        validation = Validate(rows);

        var sequential = (sequentialBefore + sequentialAfter) / 2;
        var pipelined = (pipelinedBefore + pipelinedAfter) / 2;
        var pending = (await outbox.GetDepthAsync()).Sum(d => d.Pending);
        Console.WriteLine($"{n} events of ~{payloads.Average(p => p.Length):0} bytes after {WarmUpEvents} warm-up events, SQLite FULL outbox → JetStream (file storage, nats-server on loopback), concurrency 1, passes of {Batch}");
        Console.WriteLine();
        Console.WriteLine("| path | events/s | relay ÷ this |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| relay: claim → validate → publish (pipelined) → mark sent | {relayRate:F0} | 1.00 |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare NATS.Net publish loop, each ack awaited (mean of before/after: {sequentialBefore:F0} / {sequentialAfter:F0}) | {sequential:F0} | {relayRate / sequential:F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare NATS.Net publish, {Batch} in flight (mean of before/after: {pipelinedBefore:F0} / {pipelinedAfter:F0}) | {pipelined:F0} | {relayRate / pipelined:F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| IEventBus.PublishAsync (NATS adapter), {Batch} in flight, no store, no validation | {adapter:F0} | {relayRate / adapter:F2} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation per event (parse + schema): {validation.ValidateMicros:F2} µs; JSON parse alone: {validation.ParseMicros:F2} µs"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relay passes: {passes}; published: {published}; still pending: {pending}; share of the drain inside the sink (validate + publish): {sinkShare:P0}, the rest claim, mark sent and callbacks"));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = "relay",
            ["events"] = n,
            ["relay_events_per_s"] = Math.Round(relayRate),
            ["bare_sequential_events_per_s"] = Math.Round(sequential),
            ["bare_pipelined_events_per_s"] = Math.Round(pipelined),
            ["ratio_to_sequential"] = Math.Round(relayRate / sequential, 3),
            ["ratio_to_pipelined"] = Math.Round(relayRate / pipelined, 3),
            ["validate_us"] = Math.Round(validation.ValidateMicros, 2),
            ["parse_us"] = Math.Round(validation.ParseMicros, 2),
            ["sink_share"] = Math.Round(sinkShare, 3),
            ["adapter_pipelined_events_per_s"] = Math.Round(adapter),
        }, JsonLine));
        return pending == 0 && published == n ? 0 : 1;
    }

    private static async Task<List<OutboxMessage>> FillAsync(IStore store, IOutbox outbox, IIdGenerator ids, int n)
    {
        var rows = new List<OutboxMessage>(n);
        var sessions = Enumerable.Range(0, Sessions).Select(_ => ids.NewId()).ToArray();
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 7));
        for (var start = 0; start < n; start += 1000)
        {
            await using var transaction = await store.BeginAsync();
            for (var i = start; i < Math.Min(n, start + 1000); i++)
            {
                var session = sessions[i % Sessions];
                var context = EventContext.FromActivity(null, Tenant, "soma/gateway", session.ToString()) with { SessionId = session };
                var envelope = context.Create(new UserMessage(ids.NewId(), text), ids, TimeProvider.System);
                var row = OutboxMessages.For(envelope, EventJson.Serialize(envelope), session.ToString());
                await outbox.AppendAsync(transaction, row);
                rows.Add(row);
            }

            await transaction.CommitAsync();
        }

        return rows;
    }

    private static async Task<(double Rate, int Passes, int Published, double SinkShare)> DrainAsync(OutboxRelay relay, EventPublishSink sink, int n)
    {
        var timed = new TimedSink(sink);
        var started = Stopwatch.GetTimestamp();
        var passes = 0;
        var published = 0;
        while (published < n)
        {
            var pass = await relay.PassAsync(sink.Route, timed, "bench-relay", Batch, null, CancellationToken.None);
            if (pass.Claimed == 0 || pass.TransientError is not null)
            {
                throw new InvalidOperationException($"The relay stopped after {published} of {n}: {pass}");
            }

            passes++;
            published += pass.Sent;
        }

        var total = Stopwatch.GetElapsedTime(started);
        return (n / total.TotalSeconds, passes, published, timed.Elapsed / total);
    }

    private static async Task<double> BareSequentialAsync(NatsJSContext js, string subject, byte[][] payloads)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var payload in payloads)
        {
            var ack = await js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = Guid.CreateVersion7().ToString() });
            ack.EnsureSuccess();
        }

        return payloads.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<double> BarePipelinedAsync(NatsJSContext js, string subject, byte[][] payloads)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < payloads.Length; i += Batch)
        {
            var inFlight = payloads.Skip(i).Take(Batch)
                .Select(p => js.PublishAsync(subject, p, opts: new NatsJSPubOpts { MsgId = Guid.CreateVersion7().ToString() }).AsTask())
                .ToArray();
            foreach (var ack in await Task.WhenAll(inFlight))
            {
                ack.EnsureSuccess();
            }
        }

        return payloads.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<double> AdapterPipelinedAsync(IEventBus bus, string subject, byte[][] payloads)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < payloads.Length; i += Batch)
        {
            await Task.WhenAll(payloads.Skip(i).Take(Batch).Select(p => bus.PublishAsync(new BusMessage(Guid.CreateVersion7(), subject, p))));
        }

        return payloads.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static (double ValidateMicros, double ParseMicros) Validate(IReadOnlyList<OutboxMessage> rows)
    {
        var validator = new EventValidator(SchemaRegistry.Default);
        var started = Stopwatch.GetTimestamp();
        foreach (var row in rows)
        {
            using var document = JsonDocument.Parse(row.Payload);
            if (!validator.Validate(document.RootElement, row.Topic).IsValid)
            {
                throw new InvalidOperationException("A benchmark event is not valid.");
            }
        }

        var validate = Stopwatch.GetElapsedTime(started).TotalMicroseconds / rows.Count;
        started = Stopwatch.GetTimestamp();
        foreach (var row in rows)
        {
            using var document = JsonDocument.Parse(row.Payload);
        }

        return (validate, Stopwatch.GetElapsedTime(started).TotalMicroseconds / rows.Count);
    }

    /// <summary>The relay's sink, timed: how much of a drain is validation and publishing, and how much the store.</summary>
    private sealed class TimedSink(IOutboxSink inner) : IOutboxSink
    {
        public TimeSpan Elapsed { get; private set; }

        public async Task<SinkResult> DeliverAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await inner.DeliverAsync(entries, cancellationToken);
            }
            finally
            {
                Elapsed += Stopwatch.GetElapsedTime(started);
            }
        }

        public Task OnSentAsync(IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken) => inner.OnSentAsync(sent, cancellationToken);

        public Task OnDeadLetteredAsync(OutboxEntry entry, string reason, CancellationToken cancellationToken) => inner.OnDeadLetteredAsync(entry, reason, cancellationToken);
    }
}
