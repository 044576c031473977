namespace Soma.Core.Storage;

/// <summary>A page of results and the cursor of the next page (null when this is the last one).</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
