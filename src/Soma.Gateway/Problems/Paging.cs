using Microsoft.AspNetCore.Http.HttpResults;
using Soma.Core.Storage;

namespace Soma.Gateway.Problems;

/// <summary>The <c>limit</c> and <c>cursor</c> query parameters every list endpoint takes.</summary>
internal static class Paging
{
    /// <summary>Builds the page request, or the 400 that names the bad parameter.</summary>
    public static ProblemHttpResult? Validate(int? limit, string? cursor, out PageRequest page)
    {
        page = new PageRequest(limit ?? 50, cursor);
        if (limit is not null and (< 1 or > PageRequest.MaxLimit))
        {
            return Problem.InvalidParameter("limit", $"'limit' must be between 1 and {PageRequest.MaxLimit}.");
        }

        return cursor is not null && !PageCursor.TryDecode(cursor, out _)
            ? Problem.InvalidParameter("cursor", "'cursor' is not a cursor this API returned; pass next_cursor from the previous page.")
            : null;
    }
}
