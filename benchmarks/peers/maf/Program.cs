// Microsoft Agent Framework peer of `soma` benchmark `runner`: a 10-step linear workflow of trivial executors, run with
// MAF's file checkpoint store (FileSystemJsonCheckpointStore) and with its in-memory checkpointing; single run in a loop
// and 32 concurrent runs. Usage: dotnet run -c Release -- SECONDS DIR → JSON lines {peer, mode, steps_per_second}.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;

const int Steps = 10;
var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 8;
var dir = args.Length > 1 ? args[1] : Path.GetTempPath();

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
async Task<double> MeasureAsync(Func<int, CheckpointManager> lane, int concurrency, TimeSpan duration)
{
    var managers = Enumerable.Range(0, concurrency).Select(lane).ToList();
    var started = Stopwatch.GetTimestamp();
    var runs = 0;
    while (Stopwatch.GetElapsedTime(started) < duration)
    {
        await Task.WhenAll(managers.Select(OneAsync));
        runs += concurrency;
    }

    return runs * Steps / Stopwatch.GetElapsedTime(started).TotalSeconds;
}

var stores = new List<FileSystemJsonCheckpointStore>();
CheckpointManager FileLane(int lane)
{
    var store = new FileSystemJsonCheckpointStore(Directory.CreateDirectory(Path.Combine(dir, "maf-checkpoints", Guid.NewGuid().ToString("N"))));
    stores.Add(store);
    return CheckpointManager.CreateJson(store);
}

foreach (var (peer, lane) in new (string, Func<int, CheckpointManager>)[] { ("MAF with FileSystemJsonCheckpointStore", FileLane), ("MAF in-memory checkpoints", _ => CheckpointManager.CreateInMemory()) })
{
    await MeasureAsync(lane, 1, TimeSpan.FromSeconds(1));
    foreach (var (mode, concurrency) in new[] { ("single run in a loop", 1), ("32 concurrent runs", 32) })
    {
        var stepsPerSecond = await MeasureAsync(lane, concurrency, TimeSpan.FromSeconds(seconds));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["peer"] = peer, ["mode"] = mode, ["steps_per_second"] = Math.Round(stepsPerSecond) }));
    }
}

stores.ForEach(s => s.Dispose());
