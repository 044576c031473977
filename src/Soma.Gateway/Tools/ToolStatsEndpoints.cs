using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Policy;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Tools;

/// <summary>
/// <c>GET /v1/tools/stats</c>: the tenant's tool calls over a window (calls, failures, denials, timeouts, exact
/// p50/p95/p99 durations, output bytes and a series per tool), for the web UI's "Tools" page. Any user of the tenant
/// may read it, as <c>/v1/usage</c>: it holds counts only, no arguments, outputs, users or sessions.
/// </summary>
internal static class ToolStatsEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/tools/stats", GetAsync).WithTags("tools")
            .WithSummary("Tool calls of this tenant over a window, per tool (window: 15m, 24h, 7d…, default 24h, at most 30d; tool: exact name; tenant: only your own).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden);
    }

    private static async Task<Results<Ok<ToolStatsResponse>, ProblemHttpResult>> GetAsync(
        ClaimsPrincipal user, IToolCallLog calls, TimeProvider time, string? window, string? tool, string? tenant, CancellationToken cancellationToken)
    {
        if (!StatsWindow.TryParse(window, out var span))
        {
            return Problem.InvalidParameter("window", StatsWindow.Rule);
        }

        tool = string.IsNullOrEmpty(tool) ? null : tool;
        if (tool is not null && !PolicyEndpoints.IsToolName(tool))
        {
            return Problem.InvalidParameter("tool", $"'tool' must be a tool name: a letter, then letters, digits, '_', '.' or '-', at most {PolicyEndpoints.MaxToolName} characters.");
        }

        // The tenant is the token's; naming another one is refused rather than silently answered for the caller's.
        var own = user.GetTenantId();
        if (!string.IsNullOrEmpty(tenant) && !string.Equals(tenant, own, StringComparison.Ordinal))
        {
            return Problem.Create(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden",
                "'tenant' must be your own tenant (the token's): another tenant's tool statistics are not shown.",
                new Dictionary<string, object?> { ["parameter"] = "tenant" });
        }

        // The window ends at the next whole second, so that its buckets are whole milliseconds on every engine.
        var now = time.GetUtcNow();
        var to = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);
        var query = new ToolStatsQuery(to - span.Length, to, StatsWindow.Buckets, tool);
        var stats = await calls.StatsAsync(own, query, cancellationToken);
        var items = stats.Select(s => new ToolStatsItem(
            s.Tool, s.Calls, s.Succeeded, s.Failed, s.Denied, s.Timeouts, Round(s.P50Ms), Round(s.P95Ms), Round(s.P99Ms), s.BytesOut,
            [.. s.Series.Select(b => new ToolStatsPoint(b.Start, b.Calls, b.Failed, b.Denied))])).ToList();
        var totals = new ToolStatsTotals(
            items.Sum(i => i.Calls), items.Sum(i => i.Succeeded), items.Sum(i => i.Failed), items.Sum(i => i.Denied), items.Sum(i => i.Timeouts), items.Sum(i => i.BytesOut));
        return TypedResults.Ok(new ToolStatsResponse(own, span.Text, query.From, query.To, query.BucketWidth.TotalSeconds, items, totals));
    }

    // Microseconds are the most any engine keeps of a duration worth showing.
    private static double? Round(double? ms) => ms is { } value ? Math.Round(value, 3) : null;
}
