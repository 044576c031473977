using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;
using Soma.Gateway.Sessions;

namespace Soma.Gateway.Usage;

/// <summary><c>GET /v1/usage</c>: the tenant's model token usage per day and model.</summary>
internal static class UsageEndpoints
{
    private const int MaxDays = 366;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/usage", GetAsync).WithTags("usage")
            .WithSummary("Token usage of this tenant per day and model (from/to: yyyy-MM-dd, UTC; the last 30 days by default).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static async Task<Results<Ok<UsageResponse>, ProblemHttpResult>> GetAsync(
        ClaimsPrincipal user, IUsageLedger usage, TimeProvider time, string? from, string? to, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (!TryDay(to, today, out var last))
        {
            return Problem.InvalidParameter("to", "Parameter 'to' must be a date like 2026-11-25.");
        }

        if (!TryDay(from, last.AddDays(-29), out var first))
        {
            return Problem.InvalidParameter("from", "Parameter 'from' must be a date like 2026-11-25.");
        }

        if (first > last || last.DayNumber - first.DayNumber >= MaxDays)
        {
            return Problem.InvalidParameter("from", $"'from' must not be after 'to', and the range at most {MaxDays} days.");
        }

        var rows = await usage.ListAsync(user.GetTenantId(), first, last, cancellationToken);
        var items = rows.Select(r => new UsageItem(r.Day, r.Model, r.Calls, r.InputTokens, r.OutputTokens)).ToList();
        return TypedResults.Ok(new UsageResponse(first, last, items, new UsageTotals(items.Sum(i => i.Calls), items.Sum(i => i.InputTokens), items.Sum(i => i.OutputTokens))));
    }

    private static bool TryDay(string? text, DateOnly fallback, out DateOnly day)
    {
        if (string.IsNullOrEmpty(text))
        {
            day = fallback;
            return true;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }
}
