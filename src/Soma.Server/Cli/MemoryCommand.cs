using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Soma.Server.Cli;

/// <summary><c>soma memory status|flush|recall|reindex</c>: long-term memory on a running server.</summary>
internal static class MemoryCommand
{
    public static Command Create()
    {
        var options = new ServerApiOptions("The tenant: recall searches its memories, flush drains only its writes (all tenants when unset); also the minted token's tenant.");
        var status = new Command("status", "Memory mode, breaker, drain rate, and waiting writes with the oldest's age per tenant.");
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be delivered without delivering it (still audited)." };
        var flush = new Command("flush", "Deliver waiting memory writes now, with progress; audited with who flushed what and how much.") { dryRun };
        var query = new Argument<string>("query") { Description = "What to look for." };
        var topK = new Option<int>("--top-k") { Description = "At most this many memories (1-50).", DefaultValueFactory = _ => 10 };
        var session = new Option<string?>("--session") { Description = "Only memories of this session.", HelpName = "session-id" };
        var mode = new Option<string>("--mode") { Description = "hybrid (words and meaning, the default), text (words only) or vector (meaning only).", DefaultValueFactory = _ => "hybrid" };
        mode.AcceptOnlyFromAmong("hybrid", "text", "vector");
        var recall = new Command("recall", "Search long-term memory.") { query, topK, session, mode };
        var model = new Option<string?>("--model") { Description = "The embedding model to compute vectors of (default: the configured one), e.g. arctic-embed-xs.", HelpName = "model" };
        var reindex = new Command("reindex", "Compute one embedding model's vectors for every memory (or the --tenant's), with progress; recall keeps working meanwhile, and a reindex run again goes on where it stopped.") { model };
        foreach (var command in (Command[])[status, flush, recall, reindex])
        {
            options.AddTo(command);
        }

        status.SetAction((parse, ct) => options.Connect(parse).RunAsync(async (api, c) =>
        {
            var answer = await api.GetAsync("/v1/memory/status", c);
            return answer is null ? ExitCodes.Failed : api.Print(answer.Value, PrintStatus);
        }, ct));

        recall.SetAction((parse, ct) => options.Connect(parse).RunAsync(async (api, c) =>
        {
            var text = parse.GetValue(query)!;
            if (string.IsNullOrWhiteSpace(text))
            {
                Console.Error.WriteLine("soma: the query must not be blank.");
                return ExitCodes.BadInput;
            }

            var path = new StringBuilder($"/v1/memory?query={Uri.EscapeDataString(text)}&top_k={parse.GetValue(topK)}&mode={parse.GetValue(mode)}");
            if (parse.GetValue(session) is { } s)
            {
                path.Append("&session_id=").Append(Uri.EscapeDataString(s));
            }

            var answer = await api.GetAsync(path.ToString(), c);
            return answer is null ? ExitCodes.Failed : api.Print(answer.Value, PrintRecall);
        }, ct));

        flush.SetAction((parse, ct) => options.Connect(parse).RunAsync(async (api, c) =>
        {
            var path = new StringBuilder($"/v1/memory/flush?dry_run={(parse.GetValue(dryRun) ? "true" : "false")}");
            if (parse.GetValue(options.Tenant) is { } tenant)
            {
                path.Append("&tenant=").Append(Uri.EscapeDataString(tenant));
            }

            return await FlushAsync(api, path.ToString(), c);
        }, ct));

        reindex.SetAction((parse, ct) => options.Connect(parse).RunAsync(async (api, c) =>
        {
            var path = new StringBuilder("/v1/memory/reindex?");
            if (parse.GetValue(model) is { } m)
            {
                path.Append("model=").Append(Uri.EscapeDataString(m)).Append('&');
            }

            if (parse.GetValue(options.Tenant) is { } tenant)
            {
                path.Append("tenant=").Append(Uri.EscapeDataString(tenant));
            }

            return await ReindexAsync(api, path.ToString().TrimEnd('&', '?'), c);
        }, ct));

        return new Command("memory", "Long-term memory on a running server.") { status, flush, recall, reindex };
    }

    private static async Task<int> ReindexAsync(ServerApi api, string path, CancellationToken cancellationToken)
    {
        var done = await FollowProgressAsync(
            api,
            path,
            "memories with a current vector",
            (task, line) =>
            {
                task.Description = $"{line.GetProperty("model").GetString()}: memories with a current vector";
                task.MaxValue = Math.Max(1, line.GetProperty("total").GetInt64());
                task.Value = Math.Min(task.MaxValue, line.GetProperty("current").GetInt64());
            },
            final => string.Create(CultureInfo.InvariantCulture,
                $"{final.GetProperty("model").GetString()}: {final.GetProperty("current").GetInt64()} of {final.GetProperty("total").GetInt64()} memories have a current vector; {final.GetProperty("embedded").GetInt64()} embedded now, {final.GetProperty("failed").GetInt64()} failed"),
            "the reindex did not finish (the connection ended early); run it again to go on where it stopped.",
            cancellationToken);
        return done is not { } last || last.GetProperty("current").GetInt64() < last.GetProperty("total").GetInt64() ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> FlushAsync(ServerApi api, string path, CancellationToken cancellationToken)
    {
        var done = await FollowProgressAsync(
            api,
            path,
            "memory writes delivered",
            (task, line) =>
            {
                task.MaxValue = Math.Max(1, line.GetProperty("total").GetInt64());
                task.Value = line.GetProperty("done").GetBoolean()
                    ? task.MaxValue
                    : Math.Min(task.MaxValue, line.GetProperty("delivered").GetInt64() + line.GetProperty("dead_lettered").GetInt64());
            },
            final => string.Create(CultureInfo.InvariantCulture,
                $"{(final.GetProperty("dry_run").GetBoolean() ? "dry run: " : "")}{final.GetProperty("total").GetInt64()} waiting, {final.GetProperty("delivered").GetInt64()} delivered, {final.GetProperty("failed").GetInt64()} refused, {final.GetProperty("dead_lettered").GetInt64()} dead-lettered, {final.GetProperty("remaining").GetInt64()} remaining"),
            "the flush did not finish (the connection ended early).",
            cancellationToken);
        return done is null ? ExitCodes.Failed : ExitCodes.Ok;
    }

    /// <summary>
    /// Follows an endpoint that streams NDJSON progress (a last line with <c>done: true</c>, and <c>error</c> when it
    /// failed): the lines as they come with <c>--json</c>, else a progress bar on stderr and a summary of the last line.
    /// Returns the last line when the work finished without an error; otherwise says why on stderr and returns null.
    /// </summary>
    private static async Task<JsonElement?> FollowProgressAsync(
        ServerApi api, string path, string label, Action<ProgressTask, JsonElement> show, Func<JsonElement, string> summary, string unfinished,
        CancellationToken cancellationToken)
    {
        JsonElement? last = null;
        bool ok;
        if (api.Json)
        {
            ok = await api.PostLinesAsync(path, line =>
            {
                last = line;
                Console.Out.WriteLine(line.GetRawText());
            }, cancellationToken);
        }
        else
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            ok = false;
            await console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(label, maxValue: 1);
                    ok = await api.PostLinesAsync(path, line =>
                    {
                        last = line;
                        show(task, line);
                    }, cancellationToken);
                });
            if (last is { } final)
            {
                Console.Out.WriteLine(summary(final));
            }
        }

        if (!ok || last is not { } done || !done.GetProperty("done").GetBoolean())
        {
            Console.Error.WriteLine($"soma: {unfinished}");
            return null;
        }

        if (done.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
        {
            Console.Error.WriteLine($"soma: {error.GetString()}");
            return null;
        }

        return done;
    }

    private static void PrintStatus(JsonElement status)
    {
        Console.Out.WriteLine($"mode        {status.GetProperty("mode").GetString()}");
        Console.Out.WriteLine($"breaker     {status.GetProperty("breaker").GetString()}");
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"drain rate  {status.GetProperty("drain_rate").GetDouble():0.#} memories/s"));
        Console.Out.WriteLine($"cap         {status.GetProperty("cap_per_tenant").GetInt32()} waiting writes per tenant");
        var tenants = status.GetProperty("tenants");
        Console.Out.WriteLine();
        if (tenants.GetArrayLength() == 0)
        {
            Console.Out.WriteLine("no memory writes waiting");
            return;
        }

        Console.Out.WriteLine($"{"TENANT",-24}  {"WAITING",9}  {"OLDEST (s)",10}  {"DEAD",6}");
        foreach (var t in tenants.EnumerateArray())
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{t.GetProperty("tenant").GetString(),-24}  {t.GetProperty("pending").GetInt64(),9}  {t.GetProperty("oldest_age_seconds").GetDouble(),10:0.0}  {t.GetProperty("dead_lettered").GetInt64(),6}"));
        }
    }

    private static void PrintRecall(JsonElement answer)
    {
        var results = answer.GetProperty("results");
        if (results.GetArrayLength() == 0)
        {
            Console.Out.WriteLine("nothing matches");
            return;
        }

        foreach (var r in results.EnumerateArray())
        {
            var text = r.GetProperty("text").GetString() ?? "";
            var match = r.TryGetProperty("match", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : "";
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.GetProperty("score").GetDouble():0.000}  {match,-7}  {r.GetProperty("role").GetString(),-9}  {(text.Length > 100 ? text[..100] + "…" : text).ReplaceLineEndings(" ")}"));
            Console.Out.WriteLine($"       {r.GetProperty("key").GetString()}");
        }

        Console.Out.WriteLine(answer.GetProperty("cached").GetBoolean() ? "(from the recall cache)" : "");
    }
}
