// Microsoft Agent Framework peer of `soma` benchmark `runner`: a 10-step linear workflow of trivial executors, run with
// MAF's file checkpoint store (FileSystemJsonCheckpointStore) or with its in-memory checkpointing. Usage:
// `dotnet run -c Release -- file DIR` or `-- memory`, then slices on stdin as the other peers (../slices.mjs): each
// line `single SECONDS` or `concurrent SECONDS` answers one JSON line {peer, mode, steps_per_second}.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;

const int Steps = 10;
var file = args is ["file", _];
if (!file && args is not ["memory"])
{
    throw new ArgumentException("usage: file DIR | memory");
}

Workflow Build()
{
    var executors = Enumerable.Range(0, Steps).Select(i => ((Func<int, int>)(n => n + 1)).BindAsExecutor($"s{i}")).ToList();
    var builder = new WorkflowBuilder(executors[0]);
    for (var i = 1; i < Steps; i++)
    {
        builder.AddEdge(executors[i - 1], executors[i]);
    }

    return builder.WithOutputFrom(executors[^1]).Build();
}

async Task OneAsync(CheckpointManager checkpoints)
{
    await using var run = await InProcessExecution.RunAsync(Build(), 0, checkpoints, Guid.NewGuid().ToString("N"));
    var events = run.OutgoingEvents.ToList();
    var output = events.OfType<WorkflowOutputEvent>().Select(e => e.Data).LastOrDefault();

    if (output is not int n || n != Steps)
    {
        throw new InvalidOperationException($"expected {Steps}, got {output}");
    }
}

// One checkpoint manager (and store) per concurrent lane: one shared file store loses outputs under concurrent runs.
var stores = new List<FileSystemJsonCheckpointStore>();
CheckpointManager Lane()
{
    if (!file)
    {
        return CheckpointManager.CreateInMemory();
    }

    var store = new FileSystemJsonCheckpointStore(Directory.CreateDirectory(Path.Combine(args[1], "maf-checkpoints", Guid.NewGuid().ToString("N"))));
    stores.Add(store);
    return CheckpointManager.CreateJson(store);
}

var lanes = Enumerable.Range(0, 32).Select(_ => Lane()).ToList();
var peer = file ? "MAF with FileSystemJsonCheckpointStore" : "MAF in-memory checkpoints";
while (Console.ReadLine() is { } line)
{
    var (mode, concurrency, seconds) = line.Split(' ', StringSplitOptions.RemoveEmptyEntries) switch
    {
        ["single", var s] => ("single run in a loop", 1, double.Parse(s, CultureInfo.InvariantCulture)),
        ["concurrent", var s] => ("32 concurrent runs", 32, double.Parse(s, CultureInfo.InvariantCulture)),
        _ => throw new FormatException($"expected \"single|concurrent SECONDS\", got \"{line}\""),
    };
    var started = Stopwatch.GetTimestamp();
    var runs = 0;
    while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
    {
        await Task.WhenAll(lanes.Take(concurrency).Select(OneAsync));
        runs += concurrency;
    }

    var stepsPerSecond = runs * Steps / Stopwatch.GetElapsedTime(started).TotalSeconds;
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["peer"] = peer, ["mode"] = mode, ["steps_per_second"] = Math.Round(stepsPerSecond) }));
}

stores.ForEach(s => s.Dispose());
