namespace Soma.Contracts.Events;

/// <summary>The workflow a run executes.</summary>
/// <param name="Name">Registered workflow name.</param>
/// <param name="Version">Workflow version.</param>
public sealed record WorkflowRef(string Name, int Version);
