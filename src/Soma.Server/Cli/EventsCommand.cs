using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Soma.Contracts.Schemas;
using Soma.Core.Messaging;
using Soma.Core.Storage;
using Soma.Core.Tenancy;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma events tail</c>: events as JSON lines, one envelope a line — from the bus when it is NATS (what consumers
/// see), else from the outbox's event log (the embedded default keeps no bus history across processes). Follows new
/// events until Ctrl-C unless <c>--no-follow</c>.
/// </summary>
internal static partial class EventsCommand
{
    private static readonly TimeSpan OutboxPoll = TimeSpan.FromMilliseconds(500);

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's events (all tenants when unset)." };
        var type = new Option<string?>("--type") { Description = "Only events of this type (e.g. conversation.assistant_final) or schema (e.g. agent.runs.v1)." };
        var since = new Option<string>("--since") { Description = "Start this long ago: 30s, 10m, 2h, 7d (default 10m).", DefaultValueFactory = _ => "10m", HelpName = "duration" };
        var noFollow = new Option<bool>("--no-follow") { Description = "Print what is there and exit instead of following new events." };
        var tail = new Command("tail", "Print events as JSON lines (from the bus, or the outbox's event log on the embedded default).") { data, tenant, type, since, noFollow };
        tail.SetAction((parse, ct) => TailAsync(parse.GetValue(data), parse.GetValue(tenant), parse.GetValue(type), parse.GetValue(since)!, !parse.GetValue(noFollow), ct));
        return new Command("events", "The event log.") { tail };
    }

    private static async Task<int> TailAsync(string? dataDir, string? tenant, string? type, string since, bool follow, CancellationToken cancellationToken)
    {
        if (tenant is not null && !TenantId.IsValid(tenant))
        {
            await Console.Error.WriteLineAsync($"soma: --tenant '{tenant}' is not a tenant id: {TenantId.Rule}.");
            return ExitCodes.BadInput;
        }

        if (ParseDuration(since) is not { } window)
        {
            await Console.Error.WriteLineAsync($"soma: --since '{since}' is not a duration: a number followed by s, m, h or d (e.g. 10m).");
            return ExitCodes.BadInput;
        }

        var schemas = SchemaRegistry.Default;
        var topics = EventPublishSink.EventTopics(schemas).ToList();
        string? schemaFilter = null;
        if (type is not null)
        {
            schemaFilter = topics.Contains(type, StringComparer.Ordinal) ? type : null;
            if (schemaFilter is null && !type.Contains('.', StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"soma: --type '{type}' is neither an event type (like conversation.user_message) nor a schema ({string.Join(", ", topics)}).");
                return ExitCodes.BadInput;
            }
        }

        // Standard output carries the results only: logs go to standard error, and only warnings.
        if (CliHost.Build(dataDir, out var exitCode) is not { } app)
        {
            return exitCode;
        }

        await using (app)
        {
            var bus = app.Services.GetRequiredService<IEventBus>();
            var from = TimeProvider.System.GetUtcNow() - window;
            bool Wanted(JsonElement envelope) => schemaFilter is not null || type is null
                || (envelope.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == type);
            try
            {
                return bus is InProcessEventBus
                    ? await TailOutboxAsync(app.Services.GetRequiredService<IOutbox>(), tenant, schemaFilter is null ? topics : [schemaFilter], from, follow, Wanted, cancellationToken)
                    : await TailBusAsync(bus, tenant, schemaFilter, from, follow, Wanted, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
            catch (StoreException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the store is not usable: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (EventBusException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the event bus is not usable: {ex.Message}");
                return ExitCodes.Failed;
            }
        }
    }

    private static async Task<int> TailOutboxAsync(
        IOutbox outbox, string? tenant, IReadOnlyCollection<string> topics, DateTimeOffset from, bool follow, Func<JsonElement, bool> wanted, CancellationToken cancellationToken)
    {
        Guid? after = null;
        while (true)
        {
            var rows = await outbox.ListAsync(new OutboxQuery(topics, PageRequest.MaxLimit) { TenantId = tenant, CreatedFrom = from, After = after }, cancellationToken);
            foreach (var row in rows)
            {
                Print(row.Message.Payload, wanted);
                after = row.Message.Id;
            }

            await Console.Out.FlushAsync(cancellationToken);
            if (rows.Count == PageRequest.MaxLimit)
            {
                continue;
            }

            if (!follow)
            {
                return ExitCodes.Ok;
            }

            await Task.Delay(OutboxPoll, TimeProvider.System, cancellationToken);
        }
    }

    private static async Task<int> TailBusAsync(
        IEventBus bus, string? tenant, string? schema, DateTimeOffset from, bool follow, Func<JsonElement, bool> wanted, CancellationToken cancellationToken)
    {
        var subject = (tenant, schema) switch
        {
            (null, null) => $"{EventSubjects.Root}.>",
            (null, { } s) => EventSubjects.AnyTenant(s),
            ({ } t, null) => EventSubjects.Tenant(t),
            ({ } t, { } s) => EventSubjects.For(t, s),
        };

        // Without follow: read until the bus has nothing more for a moment (an ephemeral consumer has no "end").
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var idle = TimeSpan.FromSeconds(1);
        if (!follow)
        {
            quiet.CancelAfter(idle);
        }

        try
        {
            await foreach (var delivery in bus.SubscribeAsync(new BusSubscription(subject) { DeliverFrom = BusDeliverFrom.Time, StartTime = from }, quiet.Token))
            {
                Print(Encoding.UTF8.GetString(delivery.Payload.Span), wanted);
                await delivery.AckAsync(cancellationToken);
                if (!follow)
                {
                    quiet.CancelAfter(idle);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Quiet for a second: done.
        }

        await Console.Out.FlushAsync(CancellationToken.None);
        return ExitCodes.Ok;
    }

    private static void Print(string payload, Func<JsonElement, bool> wanted)
    {
        using var document = JsonDocument.Parse(payload);
        if (wanted(document.RootElement))
        {
            // One line per event, whatever the stored formatting.
            Console.Out.WriteLine(JsonSerializer.Serialize(document.RootElement));
        }
    }

    /// <summary>"30s", "10m", "2h", "7d" → the span; null when it is not one.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
        {
            return null;
        }

        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
    }

    [GeneratedRegex("^([0-9]+)([smhd])$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
