using System.Globalization;
using System.Text;
using Soma.Core.Runs;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Export;

/// <summary>A run's graph at one checkpoint: nodes with their states and timings, edges, and the same as Mermaid.</summary>
/// <param name="RunId">The run.</param>
/// <param name="TenantId">Its tenant.</param>
/// <param name="Workflow">The workflow name.</param>
/// <param name="WorkflowVersion">The workflow version.</param>
/// <param name="State">The run state.</param>
/// <param name="RunVersion">The run version.</param>
/// <param name="CheckpointVersion">The checkpoint version.</param>
/// <param name="Nodes">Steps and loops.</param>
/// <param name="Edges">Dependencies, from the dependency to the dependent.</param>
/// <param name="Mermaid">A Mermaid flowchart of the same graph.</param>
public sealed record RunGraph(
    Guid RunId,
    string TenantId,
    string Workflow,
    int WorkflowVersion,
    string State,
    long RunVersion,
    long CheckpointVersion,
    IReadOnlyList<RunGraphNode> Nodes,
    IReadOnlyList<RunGraphEdge> Edges,
    string Mermaid)
{
    /// <summary>Builds the graph of a run from its workflow and checkpoint.</summary>
    public static RunGraph Build(WorkflowDefinition workflow, RunRecord run, RunCheckpoint state)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(state);
        var nodes = new List<RunGraphNode>();
        var edges = new List<RunGraphEdge>();
        foreach (var id in workflow.TopologicalOrder)
        {
            if (workflow.TryGetLoop(id, out var loop))
            {
                var progress = state.Loops.TryGetValue(id, out var p) ? p : null;
                var status = progress is null ? "pending" : progress.Completed ? "succeeded" : "running";
                nodes.Add(new RunGraphNode(id, "loop", status, progress?.Iteration, null, null, null));
                edges.AddRange(loop.DependsOn.Select(d => new RunGraphEdge(d, id)));
            }
            else if (workflow.TryGetStep(id, out var step))
            {
                var record = state.Step(StepKeys.For(id, null, 0));
                nodes.Add(new RunGraphNode(id, "step", Status(record), record?.Attempts, record?.DurationMs, record?.StartedAt, record?.EndedAt));
                edges.AddRange(step.DependsOn.Select(d => new RunGraphEdge(d, id)));
            }
        }

        return new RunGraph(run.Id, run.TenantId, run.Workflow, run.WorkflowVersion, run.State.ToString().ToLowerInvariant(), run.Version, run.CheckpointVersion, nodes, edges, ToMermaid(nodes, edges));
    }

    private static string Status(StepRecord? record) => record?.Status.ToString().ToLowerInvariant() ?? "pending";

    private static string ToMermaid(List<RunGraphNode> nodes, List<RunGraphEdge> edges)
    {
        var mermaid = new StringBuilder("flowchart TD\n");
        foreach (var node in nodes)
        {
            var timing = node.DurationMs is { } ms ? string.Create(CultureInfo.InvariantCulture, $" {ms:F0} ms") : "";
            var shape = node.Kind == "loop" ? ("[[", "]]") : ("[", "]");
            mermaid.Append(CultureInfo.InvariantCulture, $"  {Safe(node.Id)}{shape.Item1}\"{node.Id}<br/>{node.Status}{timing}\"{shape.Item2}:::{node.Status}\n");
        }

        foreach (var edge in edges)
        {
            mermaid.Append(CultureInfo.InvariantCulture, $"  {Safe(edge.From)} --> {Safe(edge.To)}\n");
        }

        mermaid.Append("  classDef succeeded fill:#d4f7d4,stroke:#2b8a3e\n")
            .Append("  classDef failed fill:#ffd8d8,stroke:#c92a2a\n")
            .Append("  classDef retrying fill:#fff3bf,stroke:#e67700\n")
            .Append("  classDef waiting fill:#d0ebff,stroke:#1864ab\n")
            .Append("  classDef running fill:#e5dbff,stroke:#5f3dc4\n")
            .Append("  classDef skipped fill:#f1f3f5,stroke:#868e96\n")
            .Append("  classDef pending fill:#ffffff,stroke:#adb5bd\n");
        return mermaid.ToString();
    }

    // Mermaid ids: letters, digits and underscores.
    private static string Safe(string id) => "n_" + new string([.. id.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
}
