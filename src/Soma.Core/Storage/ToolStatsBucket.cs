namespace Soma.Core.Storage;

/// <summary>One tool's calls in one bucket of the window.</summary>
/// <param name="Start">The bucket's start (inclusive); it ends where the next one starts.</param>
/// <param name="Calls">Calls made in it.</param>
/// <param name="Failed">Of those, the ones that failed.</param>
/// <param name="Denied">Of those, the ones the policy denied.</param>
public sealed record ToolStatsBucket(DateTimeOffset Start, long Calls, long Failed, long Denied);
