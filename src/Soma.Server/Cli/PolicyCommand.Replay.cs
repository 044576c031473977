using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Core.Policy;
using Soma.Core.Storage;
using Soma.Core.Tenancy;
using Soma.Policy.Bundles;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;
using Spectre.Console;

namespace Soma.Server.Cli;

internal static partial class PolicyCommand
{
    private static Command Replay()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var since = new Option<string>("--since") { Description = "Replay the decisions of this window: 30m, 24h, 7d (default 24h; at most the outbox's retention).", DefaultValueFactory = _ => "24h", HelpName = "duration" };
        var candidate = new Option<string?>("--policy") { Description = "The candidate policy folder (default: the one the server loads, Soma:Policy:Directory).", HelpName = "dir" };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's decisions (all tenants when unset)." };
        var json = new Option<bool>("--json") { Description = "Print each changed decision as a JSON line instead of a table." };
        var replay = new Command("replay", "Re-decide the audited tool calls of a window against a candidate policy and show what would change.") { data, since, candidate, tenant, json };
        replay.SetAction((parse, ct) => ReplayAsync(parse.GetValue(data), parse.GetValue(since)!, parse.GetValue(candidate), parse.GetValue(tenant), parse.GetValue(json), ct));
        return replay;
    }

    private static async Task<int> ReplayAsync(string? dataDir, string since, string? candidateDir, string? tenant, bool json, CancellationToken cancellationToken)
    {
        if (EventsCommand.ParseDuration(since) is not { } window)
        {
            return await BadInputAsync($"--since '{since}' is not a duration: a number followed by s, m, h or d (e.g. 24h).");
        }

        if (tenant is not null && !TenantId.IsValid(tenant))
        {
            return await BadInputAsync($"--tenant '{tenant}' is not a tenant id: {TenantId.Rule}.");
        }

        if (candidateDir is not null && !Directory.Exists(candidateDir))
        {
            return await BadInputAsync($"--policy {candidateDir}: no such folder.");
        }

        // Standard output carries the results only: logs go to standard error, and only warnings.
        if (CliHost.Build(dataDir, out var exitCode) is not { } app)
        {
            return exitCode;
        }

        await using (app)
        {
            var folder = candidateDir ?? app.Services.GetRequiredService<IOptions<PolicyOptions>>().Value.ResolveDirectory();
            var loaded = PolicyBundleLoader.Load([folder], TimeProvider.System.GetUtcNow(), runTests: false);
            if (loaded.Bundle is not { } bundle)
            {
                return await ErrorsAsync(loaded.Errors);
            }

            var engine = new RegoPolicyEngine(Options.Create(new PolicyOptions { TimeoutMilliseconds = 5_000 }));
            engine.Swap(bundle);
            List<AuditedCall> calls;
            try
            {
                calls = await ReadAuditedCallsAsync(app.Services.GetRequiredService<IOutbox>(), tenant, TimeProvider.System.GetUtcNow() - window, cancellationToken);
            }
            catch (StoreException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the store is not usable: {ex.Message}");
                return ExitCodes.Failed;
            }

            var changes = new List<(AuditedCall Call, PolicyDecision Now)>();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            await console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("decisions replayed", maxValue: Math.Max(1, calls.Count));
                    foreach (var call in calls)
                    {
                        var decision = await engine.DecideAsync(call.Input, cancellationToken);
                        if (decision.Allow != call.Allowed)
                        {
                            changes.Add((call, decision));
                        }

                        task.Increment(1);
                    }
                });

            PrintChanges(changes, json, calls.Count, calls.Count(c => !c.HasArguments), bundle.Version, folder);
            return ExitCodes.Ok;
        }
    }

    private static void PrintChanges(List<(AuditedCall Call, PolicyDecision Now)> changes, bool json, int total, int withoutArguments, string version, string folder)
    {
        if (json)
        {
            foreach (var (call, now) in changes)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["time"] = call.Time,
                    ["tenant"] = call.Input.Tenant,
                    ["subject"] = call.Input.Subject,
                    ["tool"] = call.Input.Tool.Name,
                    ["tool_call_id"] = call.ToolCallId,
                    ["was"] = call.Allowed ? "allow" : "deny",
                    ["now"] = now.Allow ? "allow" : "deny",
                    ["was_reasons"] = call.Reasons,
                    ["now_reasons"] = now.Reasons,
                    ["was_version"] = call.PolicyVersion,
                    ["now_version"] = version,
                }));
            }
        }
        else if (changes.Count > 0)
        {
            var table = new Table().AddColumns("time", "tenant", "subject", "tool", "change", "reasons now");
            foreach (var (call, now) in changes)
            {
                table.AddRow(
                    Markup.Escape(call.Time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)), Markup.Escape(call.Input.Tenant), Markup.Escape(call.Input.Subject),
                    Markup.Escape(call.Input.Tool.Name), call.Allowed ? "[red]allowed → denied[/]" : "[green]denied → allowed[/]", Markup.Escape(string.Join("; ", now.Reasons)));
            }

            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }).Write(table);
        }

        var toDenied = changes.Count(c => c.Call.Allowed);
        var missing = withoutArguments > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {withoutArguments} replayed without their arguments (their tool.requested event is gone)") : string.Empty;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{total} decisions replayed against {folder} ({version}): {total - changes.Count} unchanged, {toDenied} allowed → denied, {changes.Count - toDenied} denied → allowed{missing}"));
    }

    private static async Task<List<AuditedCall>> ReadAuditedCallsAsync(IOutbox outbox, string? tenant, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var arguments = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var decisions = new List<(string Tenant, JsonElement Envelope)>();
        Guid? after = null;
        while (true)
        {
            var rows = await outbox.ListAsync(new OutboxQuery([SchemaNames.Audit, SchemaNames.Tools], PageRequest.MaxLimit) { TenantId = tenant, CreatedFrom = from, After = after }, cancellationToken);
            foreach (var row in rows)
            {
                after = row.Message.Id;
                using var document = JsonDocument.Parse(row.Message.Payload);
                var envelope = document.RootElement;
                var type = envelope.GetProperty("type").GetString();
                var data = envelope.GetProperty("data");
                if (type == ToolRequested.EventType && data.TryGetProperty("arguments", out var args) && data.TryGetProperty("tool_call_id", out var id))
                {
                    arguments[$"{row.Message.TenantId}/{id.GetString()}"] = args.Clone();
                }
                else if (type == AuditDecisionMade.EventType && data.GetProperty("action").GetString() == "tool.call")
                {
                    decisions.Add((row.Message.TenantId, envelope.Clone()));
                }
            }

            if (rows.Count < PageRequest.MaxLimit)
            {
                break;
            }
        }

        var calls = new List<AuditedCall>(decisions.Count);
        foreach (var (eventTenant, envelope) in decisions)
        {
            var data = envelope.GetProperty("data");
            var details = data.TryGetProperty("details", out var d) ? d : default;
            string? Detail(string name) => details.ValueKind == JsonValueKind.Object && details.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            // Calls refused before the policy was asked (arguments that do not suit the tool's schema, an unknown tool) are
            // audited too, but no policy decided them: there is nothing to replay.
            if (Detail("engine") is "schema" or "registry")
            {
                continue;
            }

            var toolCallId = Detail("tool_call_id") ?? string.Empty;
            var hasArguments = arguments.TryGetValue($"{eventTenant}/{toolCallId}", out var args);
            var roles = details.ValueKind == JsonValueKind.Object && details.TryGetProperty("roles", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList()
                : [];
            var time = envelope.GetProperty("time").GetDateTimeOffset();
            var resource = data.GetProperty("resource").GetString()!;
            var input = new PolicyInput(
                eventTenant, Detail("subject") ?? string.Empty, roles,
                new PolicyToolInput(resource.StartsWith("tool/", StringComparison.Ordinal) ? resource[5..] : resource, hasArguments ? args : EmptyArguments,
                    Detail("risk") ?? "low", details.ValueKind == JsonValueKind.Object && details.TryGetProperty("sandbox", out var s) && s.ValueKind == JsonValueKind.True),
                Detail("session_id"), Detail("run_id"), Detail("step"), time)
            {
                Query = Detail("query") ?? PolicyQueries.ToolDecision,
            };
            var reasons = details.ValueKind == JsonValueKind.Object && details.TryGetProperty("reasons", out var rs) && rs.ValueKind == JsonValueKind.Array
                ? rs.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList()
                : [];
            calls.Add(new AuditedCall(input, data.GetProperty("decision").GetString() == "allow", reasons, data.GetProperty("policy_revision").GetString() ?? "none", toolCallId, time, hasArguments));
        }

        return calls;
    }

    private static readonly JsonElement EmptyArguments = JsonElement.Parse("{}");

    private sealed record AuditedCall(PolicyInput Input, bool Allowed, IReadOnlyList<string> Reasons, string PolicyVersion, string ToolCallId, DateTimeOffset Time, bool HasArguments);
}
