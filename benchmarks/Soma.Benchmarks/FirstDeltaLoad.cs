using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The first-delta driver (`dotnet run -c Release -- first-delta [messages]`): the real server with gateway and worker on
/// SQLite FULL, answering through the dev model server with no delay between chunks. One message at a time, with the
/// session's event stream already open: the time from just before the POST to the first
/// <c>conversation.assistant_delta</c> with text for that reply on the stream, and for context to the 202 and to the
/// <c>conversation.assistant_final</c>. The model server answers at once, so what is measured is SomaAgent's own path:
/// commit, wake the worker, lease, the context step's checkpoint, the model call, the stream.
/// </summary>
public static class FirstDeltaLoad
{
    private const int MinWarmUpMessages = 20;
    private const int MaxWarmUpMessages = 1000;
    private const int SettledMethods = 10;

    // The dev model server answers `[[words:40]]` with 40 words, streamed one chunk per word.
    private const string Content = "[[words:40]] How long until the first word of the answer shows?";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        if (args.Length > 2 && args[2] == "split")
        {
            return await SplitAsync(messages);
        }

        await using var model = await DevModelServer.StartAsync(new DevModelServerOptions { ChunkDelay = TimeSpan.Zero });
        await using var server = await BenchServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "gateway,worker",
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Models:Endpoints:dev:Endpoint"] = model.BaseAddress.ToString(),
            ["Soma:Models:Endpoints:dev:Model"] = "soma-dev",
        });
        var rows = await MeasureAsync(server, messages);
        Print("SQLite FULL, gateway and worker, dev model server (no chunk delay)", "sqlite-full", messages, rows);
        return 0;
    }

    /// <summary>
    /// `first-delta N split`: the same messages, measured twice in one run against one nats-server and one SQLite file
    /// (FULL), with the model streaming a chunk every 2 ms: gateway and worker in one host (the baseline), then a gateway
    /// host and a worker host, each with its own NATS connection, so the deltas cross NATS (core subjects) and the worker
    /// is woken by the gateway's wake-up on NATS (its poll stays at the default 200 ms).
    /// </summary>
    private static async Task<int> SplitAsync(int messages)
    {
        // 2 ms between chunks: over NATS a whole answer streamed in no time can be overtaken by its own final event
        // (read from the store), and a stream leaves out deltas of an answer it has already finished.
        await using var model = await DevModelServer.StartAsync(new DevModelServerOptions { ChunkDelay = TimeSpan.FromMilliseconds(2) });
        await using var nats = await NatsServer.StartNewAsync();
        using var shared = new TempDirectory("soma-bench-split");
        Dictionary<string, string?> Settings(string roles) => new()
        {
            ["Soma:Roles"] = roles,
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Store:Sqlite:Path"] = Path.Combine(shared.Path, "soma.db"),
            ["Soma:Bus:Provider"] = "nats",
            ["Soma:Bus:Nats:Url"] = nats.Url,
            ["Soma:Models:Endpoints:dev:Endpoint"] = model.BaseAddress.ToString(),
            ["Soma:Models:Endpoints:dev:Model"] = "soma-dev",
        };

        (string Name, string Id, LatencySummary Latency)[] together;
        await using (var one = await BenchServer.StartAsync(Settings("gateway,worker,relay")))
        {
            together = await MeasureAsync(one, messages);
        }

        await using var gateway = await BenchServer.StartAsync(Settings("gateway"));
        await using var worker = await BenchServer.StartAsync(Settings("worker,relay"));
        var split = await MeasureAsync(gateway, messages);
        Print("SQLite FULL + NATS, gateway and worker in one host (baseline), dev model server (2 ms between chunks)", "nats-one-host", messages, together);
        Print("SQLite FULL + NATS, gateway host and worker host (deltas and wake-ups over NATS), dev model server (2 ms between chunks)", "nats-split", messages, split);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first delta, split minus one host: p50 {split[1].Latency.P50 - together[1].Latency.P50:F2} ms, p99 {split[1].Latency.P99 - together[1].Latency.P99:F2} ms"));
        return 0;
    }

    internal static async Task<(string Name, string Id, LatencySummary Latency)[]> MeasureAsync(BenchServer server, int messages, bool settleJit = true)
    {
        using var client = server.CreateClient();
        using var events = server.CreateClient();
        events.Timeout = Timeout.InfiniteTimeSpan;

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { title = "first delta" });
        created.EnsureSuccessStatusCode();
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var messagesUri = new Uri(server.BaseAddress, $"/v1/sessions/{session}/messages");

        // Opened once, before the first message; its headers arrive once the (empty) replay is flushed.
        var arrivals = new ConcurrentDictionary<Guid, Arrival>();
        using var stop = new CancellationTokenSource();
        using var stream = await events.GetAsync(new Uri(server.BaseAddress, $"/v1/sessions/{session}/events"), HttpCompletionOption.ResponseHeadersRead);
        stream.EnsureSuccessStatusCode();
        var reader = ReadEventsAsync(await stream.Content.ReadAsStreamAsync(), arrivals, stop.Token);

        // At least 20 messages, then on in batches until the JIT has settled: tiered compilation promotes a method
        // after 30 calls, so after 20 one-a-time messages most of the path still runs unoptimized code.
        var warmUp = 0;

        // Without settling (the benchmark job's smoke mode): the first 20 messages only.
        await JitSettling.RepeatUntilSettledAsync(
            async () =>
            {
                for (var i = 0; i < MinWarmUpMessages; i++, warmUp++)
                {
                    await SendAsync(client, messagesUri, arrivals);
                }
            },
            SettledMethods,
            () => settleJit && warmUp < MaxWarmUpMessages);

        var accepted = new List<double>(messages);
        var firstDelta = new List<double>(messages);
        var final = new List<double>(messages);
        var overtaken = 0;
        for (var i = 0; i < messages; i++)
        {
            var (toAccepted, toFirstDelta, toFinal) = await SendAsync(client, messagesUri, arrivals);
            accepted.Add(toAccepted);
            final.Add(toFinal);
            if (toFirstDelta is { } delta)
            {
                firstDelta.Add(delta);
            }
            else
            {
                overtaken++;
            }
        }

        // Deltas are live only: a stream that reads the log after the answer's final was committed drops the deltas
        // still queued for it as stale (the final replaces them), as it should for a slow client. That happens now and
        // then on a loaded machine; an answer that never streams is a defect.
        if (overtaken > messages / 2)
        {
            throw new InvalidOperationException($"{overtaken} of {messages} answers reached the stream without a delta: answers are not streaming.");
        }

        if (overtaken > 0)
        {
            Console.WriteLine($"({overtaken} of {messages} answers came without a delta, their final first: left out of the first-delta row)");
        }

        await stop.CancelAsync();
        await reader;

        Console.WriteLine($"({warmUp} warm-up messages: at least {MinWarmUpMessages}, on until the JIT settles)");
        return
        [
            ("POST → 202", "accepted", LatencySummary.Of(accepted)),
            ("POST → first assistant_delta", "first_delta", LatencySummary.Of(firstDelta)),
            ("POST → assistant_final", "final", LatencySummary.Of(final)),
        ];
    }

    private static void Print(string setup, string engine, int messages, (string Name, string Id, LatencySummary Latency)[] rows)
    {
        Console.WriteLine($"{setup}, {messages} sequential messages");
        Console.WriteLine();
        Console.WriteLine("| measure | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | messages |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, _, latency) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {latency.P50:F2} | {latency.P90:F2} | {latency.P99:F2} | {latency.Max:F2} | {latency.Count} |"));
        }

        Console.WriteLine();
        var line = new Dictionary<string, object> { ["benchmark"] = "first-delta", ["engine"] = engine, ["messages"] = messages };
        foreach (var (_, id, latency) in rows)
        {
            line[$"{id}_p50_ms"] = Math.Round(latency.P50, 3);
            line[$"{id}_p90_ms"] = Math.Round(latency.P90, 3);
            line[$"{id}_p99_ms"] = Math.Round(latency.P99, 3);
            line[$"{id}_max_ms"] = Math.Round(latency.Max, 3);
        }

        Console.WriteLine(JsonSerializer.Serialize(line, JsonLine));
    }

    /// <summary>
    /// Sends one message and waits for its answer's final event; the latencies in ms to the 202, the first delta (none
    /// when the final overtook every delta on the stream) and the final.
    /// </summary>
    private static async Task<(double Accepted, double? FirstDelta, double Final)> SendAsync(HttpClient client, Uri messages, ConcurrentDictionary<Guid, Arrival> arrivals)
    {
        var sent = Stopwatch.GetTimestamp();
        using var response = await client.PostAsJsonAsync(messages, new { content = Content });
        var acceptedAt = Stopwatch.GetTimestamp();
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"A message was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var reply = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply_id").GetGuid();
        var arrival = arrivals.GetOrAdd(reply, _ => new Arrival());
        var finalAt = await arrival.Final.Task.WaitAsync(Patience);
        double? toDelta = arrival.FirstDelta.Task.IsCompleted ? Milliseconds(sent, await arrival.FirstDelta.Task) : null;
        return (Milliseconds(sent, acceptedAt), toDelta, Milliseconds(sent, finalAt));
    }

    private static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>
    /// Reads the event stream line by line and stamps, per answer, the arrival of its first delta with text and of its
    /// final event. The stamp is taken when the <c>data:</c> line has been read, before it is parsed. An answer may be
    /// stamped before its POST's 202 has been read, hence one shared map filled from both sides.
    /// </summary>
    private static async Task ReadEventsAsync(Stream stream, ConcurrentDictionary<Guid, Arrival> arrivals, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream);
        string? type = null;
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    var at = Stopwatch.GetTimestamp();
                    Dispatch(type, line["data: ".Length..], at, arrivals);
                }
                else if (line.Length == 0)
                {
                    type = null;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private static void Dispatch(string? type, string json, long at, ConcurrentDictionary<Guid, Arrival> arrivals)
    {
        if (type is not ("conversation.assistant_delta" or "conversation.assistant_final" or "conversation.error"))
        {
            return;
        }

        using var document = JsonDocument.Parse(json);
        var data = document.RootElement.GetProperty("data");
        var arrival = arrivals.GetOrAdd(data.GetProperty("message_id").GetGuid(), _ => new Arrival());
        switch (type)
        {
            case "conversation.assistant_delta" when data.GetProperty("delta").GetString() is { Length: > 0 }:
                arrival.FirstDelta.TrySetResult(at);
                break;
            case "conversation.assistant_final":
                arrival.Final.TrySetResult(at);
                break;
            case "conversation.error":
                var failure = new InvalidOperationException($"The turn failed: {data.GetProperty("error").GetRawText()}");
                arrival.FirstDelta.TrySetException(failure);
                arrival.Final.TrySetException(failure);
                break;
        }
    }

    private sealed class Arrival
    {
        public TaskCompletionSource<long> FirstDelta { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<long> Final { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
