namespace Soma.Core.Storage;

/// <summary>One page of a listing: at most <paramref name="Limit"/> items after the opaque <paramref name="Cursor"/>.</summary>
/// <param name="Limit">1 to 500 items.</param>
/// <param name="Cursor">The <see cref="Page{T}.NextCursor"/> of the previous page, or null for the first page.</param>
public sealed record PageRequest(int Limit = 50, string? Cursor = null)
{
    /// <summary>The largest page a caller may ask for.</summary>
    public const int MaxLimit = 500;
}
