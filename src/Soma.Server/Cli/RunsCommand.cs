using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Soma.Server.Cli;

/// <summary><c>soma runs list|show|resume|cancel</c>: workflow runs through a running server's API.</summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var options = new ServerApiOptions();

        var state = new Option<string?>("--state") { Description = "Only runs in this state (accepted, running, waiting, succeeded, failed, cancelled)." };
        var workflow = new Option<string?>("--workflow") { Description = "Only runs of this workflow." };
        var limit = new Option<int>("--limit") { Description = "At most this many (1-500).", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "List runs, newest first.") { state, workflow, limit };
        var id = new Argument<string>("run-id") { Description = "The run id." };
        var show = new Command("show", "Show a run and its steps.") { id };
        var input = new Option<string?>("--input") { Description = "JSON input for a waiting run, or @file.", HelpName = "json" };
        var resume = new Command("resume", "Resume a waiting run with its input, or a failed run from its last checkpoint.") { id, input };
        var cancel = new Command("cancel", "Cancel a run that has not ended.") { id };
        foreach (var command in (Command[])[list, show, resume, cancel])
        {
            options.AddTo(command);
        }

        ServerApi Connect(ParseResult parse) => options.Connect(parse);

        list.SetAction((parse, ct) => Connect(parse).RunAsync(async (api, c) =>
        {
            var query = new StringBuilder($"/v1/runs?limit={parse.GetValue(limit)}");
            if (parse.GetValue(state) is { } s)
            {
                query.Append("&state=").Append(Uri.EscapeDataString(s));
            }

            if (parse.GetValue(workflow) is { } w)
            {
                query.Append("&workflow=").Append(Uri.EscapeDataString(w));
            }

            var page = await api.GetAsync(query.ToString(), c);
            return page is null ? ExitCodes.Failed : api.Print(page.Value, PrintRuns);
        }, ct));
        show.SetAction((parse, ct) => Connect(parse).RunAsync(async (api, c) =>
        {
            if (!TryRunId(parse.GetValue(id)!, out var runId))
            {
                return ExitCodes.BadInput;
            }

            var run = await api.GetAsync($"/v1/runs/{runId}", c);
            var steps = run is null ? null : await api.GetAsync($"/v1/runs/{runId}/steps", c);
            return run is null || steps is null ? ExitCodes.Failed : api.Print(JsonSerializer.SerializeToElement(new { run, steps }), PrintRun);
        }, ct));
        resume.SetAction((parse, ct) => Connect(parse).RunAsync(async (api, c) =>
        {
            if (!TryRunId(parse.GetValue(id)!, out var runId) || !TryInput(parse.GetValue(input), out var body))
            {
                return ExitCodes.BadInput;
            }

            var answer = await api.PostAsync($"/v1/runs/{runId}/resume", body, c);
            return answer is null ? ExitCodes.Failed : api.Print(answer.Value, a => Console.Out.WriteLine($"run {runId} resumed: {a.GetProperty("state").GetString()}"));
        }, ct));
        cancel.SetAction((parse, ct) => Connect(parse).RunAsync(async (api, c) =>
        {
            if (!TryRunId(parse.GetValue(id)!, out var runId))
            {
                return ExitCodes.BadInput;
            }

            var answer = await api.PostAsync($"/v1/runs/{runId}/cancel", null, c);
            return answer is null ? ExitCodes.Failed : api.Print(answer.Value, a => Console.Out.WriteLine($"run {runId} {a.GetProperty("state").GetString()}"));
        }, ct));

        return new Command("runs", "Workflow runs on a running server.") { list, show, resume, cancel };
    }

    private static bool TryRunId(string text, out Guid id)
    {
        if (Guid.TryParse(text, out id))
        {
            return true;
        }

        Console.Error.WriteLine($"soma: '{text}' is not a run id (a UUID such as 019abf3c-5e10-7c2a-8b11-3f4a5b6c7d8e).");
        return false;
    }

    private static bool TryInput(string? text, out object? body)
    {
        body = null;
        if (text is null)
        {
            return true;
        }

        try
        {
            var json = text.StartsWith('@') ? File.ReadAllText(text[1..]) : text;
            body = new { input = JsonElement.Parse(json) };
            return true;
        }
        catch (JsonException ex)
        {
            Console.Error.WriteLine($"soma: --input is not JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}).");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"soma: cannot read {text[1..]}: {ex.Message}");
        }

        return false;
    }

    private static void PrintRuns(JsonElement page)
    {
        var items = page.GetProperty("items");
        if (items.GetArrayLength() == 0)
        {
            Console.Out.WriteLine("no runs");
            return;
        }

        Console.Out.WriteLine($"{"RUN",-36}  {"WORKFLOW",-22}  {"STATE",-10}  {"CHECKPOINT",10}  CREATED");
        foreach (var run in items.EnumerateArray())
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{run.GetProperty("id").GetString(),-36}  {$"{run.GetProperty("workflow").GetString()} v{run.GetProperty("workflow_version").GetInt32()}",-22}  {run.GetProperty("state").GetString(),-10}  {run.GetProperty("checkpoint_version").GetInt64(),10}  {run.GetProperty("created_at").GetDateTimeOffset():u}"));
        }
    }

    private static void PrintRun(JsonElement both)
    {
        var run = both.GetProperty("run");
        Console.Out.WriteLine($"run        {run.GetProperty("id").GetString()}");
        Console.Out.WriteLine($"workflow   {run.GetProperty("workflow").GetString()} v{run.GetProperty("workflow_version").GetInt32()}");
        Console.Out.WriteLine($"state      {run.GetProperty("state").GetString()}{(run.TryGetProperty("waiting_for", out var w) && w.ValueKind == JsonValueKind.String ? $" (waiting for {w.GetString()})" : "")}");
        Console.Out.WriteLine($"versions   run {run.GetProperty("run_version").GetInt64()}, checkpoint {run.GetProperty("checkpoint_version").GetInt64()}");
        if (run.TryGetProperty("output", out var output))
        {
            Console.Out.WriteLine($"output     {output.GetRawText()}");
        }

        if (run.TryGetProperty("error", out var error))
        {
            Console.Out.WriteLine($"error      {error.GetRawText()}");
        }

        Console.Out.WriteLine();
        Console.Out.WriteLine($"{"STEP",-28}  {"STATUS",-10}  {"ATTEMPTS",8}  {"MS",9}");
        foreach (var step in both.GetProperty("steps").EnumerateArray())
        {
            var ms = step.TryGetProperty("duration_ms", out var d) ? d.GetDouble().ToString("F1", CultureInfo.InvariantCulture) : "";
            Console.Out.WriteLine($"{step.GetProperty("key").GetString(),-28}  {step.GetProperty("status").GetString(),-10}  {step.GetProperty("attempts").GetInt32(),8}  {ms,9}");
        }
    }
}
