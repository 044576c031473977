namespace Soma.Orchestration.Export;

/// <summary>An edge of a run graph: <paramref name="From"/> must finish before <paramref name="To"/> starts.</summary>
/// <param name="From">The dependency.</param>
/// <param name="To">The dependent.</param>
public sealed record RunGraphEdge(string From, string To);
