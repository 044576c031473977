using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Core.Runs;
using Soma.Orchestration.Export;
using Soma.Orchestration.Tests.Runs;
using Soma.Orchestration.Workflows;
using Soma.Testing;

namespace Soma.Orchestration.Tests.Export;

public sealed class RunGraphExportTests
{
    private static readonly WorkflowDefinition Fan = WorkflowDefinition.Create("demo.fan", 1)
        .Step("fetch", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })))
        .Step("left", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("fetch"))
        .Step("right", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("fetch"))
        .Step("join", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("left", "right"))
        .Build();

    [Fact]
    public async Task Graphs_are_written_to_the_directory_as_json_and_mermaid_with_states_and_edges()
    {
        using var directory = new TempDirectory("soma-export");
        using var exporter = new RunGraphExporter(Options.Create(new ExportOptions { Mode = "directory", Directory = directory.Path }), new HttpClient(), TimeProvider.System, NullLogger<RunGraphExporter>.Instance);
        await exporter.StartAsync(CancellationToken.None);
        await using var harness = new RunHarness(exporter, Fan);
        await harness.InitializeAsync();
        var run = await harness.StartAsync("demo.fan");
        await harness.DrainAsync();

        var json = Path.Combine(directory.Path, run.TenantId, $"{run.Id}.json");
        JsonElement graph = default;
        for (var i = 0; i < 100; i++)
        {
            if (File.Exists(json))
            {
                graph = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
                if (graph.GetProperty("state").GetString() == "succeeded")
                {
                    break;
                }
            }

            await Task.Delay(50);
        }

        await exporter.StopAsync(CancellationToken.None);
        Assert.Equal("succeeded", graph.GetProperty("state").GetString());
        Assert.Equal(4, graph.GetProperty("nodes").GetArrayLength());
        Assert.All(graph.GetProperty("nodes").EnumerateArray(), n => Assert.Equal("succeeded", n.GetProperty("status").GetString()));
        Assert.Equal(4, graph.GetProperty("edges").GetArrayLength());
        var mermaid = await File.ReadAllTextAsync(Path.ChangeExtension(json, ".mmd"));
        Assert.StartsWith("flowchart TD", mermaid, StringComparison.Ordinal);
        Assert.Contains("n_fetch --> n_left", mermaid, StringComparison.Ordinal);
        Assert.Contains(":::succeeded", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_export_endpoint_never_fails_or_blocks_a_run()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}/graphs";
        using var exporter = new RunGraphExporter(Options.Create(new ExportOptions { Mode = "http", Url = url, MaxAttempts = 2 }), new HttpClient(), TimeProvider.System, NullLogger<RunGraphExporter>.Instance);
        await exporter.StartAsync(CancellationToken.None);
        await using var harness = new RunHarness(exporter, Fan);
        await harness.InitializeAsync();
        var run = await harness.StartAsync("demo.fan");
        await harness.DrainAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
        await exporter.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void A_graph_shows_pending_failed_and_waiting_steps()
    {
        var run = new RunRecord(Guid.CreateVersion7(), "acme", "demo.fan", 1, RunState.Running, 3, 2, "{}", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        var state = Soma.Orchestration.Checkpoints.RunCheckpoint.Empty
            .WithStep("fetch", new Soma.Orchestration.Checkpoints.StepRecord { Status = Soma.Orchestration.Checkpoints.StepStatus.Succeeded, Attempts = 1, DurationMs = 12 })
            .WithStep("left", new Soma.Orchestration.Checkpoints.StepRecord { Status = Soma.Orchestration.Checkpoints.StepStatus.Failed, Attempts = 3 });
        var graph = RunGraph.Build(Fan, run, state);
        Assert.Equal(["succeeded", "failed", "pending", "pending"], graph.Nodes.Select(n => n.Status));
        Assert.Contains("12 ms", graph.Mermaid, StringComparison.Ordinal);
        Assert.Contains(":::failed", graph.Mermaid, StringComparison.Ordinal);
    }
}
