using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;
using Soma.Gateway.Sessions;

namespace Soma.Gateway.Policy;

/// <summary>
/// What the policy decided: <c>GET /v1/policy/decisions</c> lists the tenant's tool-call decisions from the audit log,
/// newest first, by tool, decision and time (the web UI's "Policy decisions" panel). Operators only.
/// </summary>
internal static class PolicyEndpoints
{
    // What ToolInvoker audits for every decision on a tool call.
    private const string ToolCallAction = "tool.call";
    private const string ToolResourcePrefix = "tool/";
    internal const int MaxToolName = 64;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/v1/policy").RequireAuthorization(policy => policy.RequireClaim(SomaClaims.Roles, "admin"));
        admin.MapGet("/decisions", DecisionsAsync).WithTags("policy")
            .WithSummary("Operators: this tenant's policy decisions on tool calls, newest first (tool: exact name; decision: allow or deny; since: an ISO 8601 time).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static async Task<Results<Ok<PageResponse<PolicyDecisionItem>>, ProblemHttpResult>> DecisionsAsync(
        ClaimsPrincipal user, IAuditLog audit, string? tool, string? decision, string? since, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, cursor, out var page) is { } pagingProblem)
        {
            return pagingProblem;
        }

        // An empty filter (a form's blank field: ?tool=) filters nothing.
        tool = string.IsNullOrEmpty(tool) ? null : tool;
        decision = string.IsNullOrEmpty(decision) ? null : decision;
        since = string.IsNullOrEmpty(since) ? null : since;

        if (tool is not null && !IsToolName(tool))
        {
            return Problem.InvalidParameter("tool", $"'tool' must be a tool name: a letter, then letters, digits, '_', '.' or '-', at most {MaxToolName} characters.");
        }

        if (decision is not null and not ("allow" or "deny"))
        {
            return Problem.InvalidParameter("decision", "'decision' must be allow or deny.");
        }

        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return Problem.InvalidParameter("since", "'since' must be a time like 2026-11-25T08:00:00Z.");
            }

            from = parsed;
        }

        var query = new AuditQuery(ToolCallAction, tool is null ? null : ToolResourcePrefix + tool, decision, from);
        var result = await audit.ListAsync(user.GetTenantId(), page, query, cancellationToken);
        return TypedResults.Ok(new PageResponse<PolicyDecisionItem>([.. result.Items.Select(ToItem)], result.NextCursor));
    }

    internal static bool IsToolName(string tool) =>
        tool.Length is > 0 and <= MaxToolName && char.IsAsciiLetter(tool[0]) && tool.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static PolicyDecisionItem ToItem(AuditRecord record)
    {
        var tool = record.Resource.StartsWith(ToolResourcePrefix, StringComparison.Ordinal) ? record.Resource[ToolResourcePrefix.Length..] : record.Resource;
        IReadOnlyList<string>? reasons = null;
        string? engine = null, toolCallId = null;
        double? duration = null;
        Guid? session = null, run = null;
        if (record.Details is not null)
        {
            try
            {
                using var details = JsonDocument.Parse(record.Details);
                var root = details.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (root.TryGetProperty("reasons", out var list) && list.ValueKind == JsonValueKind.Array)
                    {
                        reasons = [.. list.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!)];
                    }

                    engine = Text(root, "engine");
                    toolCallId = Text(root, "tool_call_id");
                    session = Guid.TryParse(Text(root, "session_id"), out var s) ? s : null;
                    run = Guid.TryParse(Text(root, "run_id"), out var r) ? r : null;
                    duration = root.TryGetProperty("duration_ms", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetDouble() : null;
                }
            }
            catch (JsonException)
            {
                // A row written by something else than the tool invoker: its columns still say what was decided.
            }
        }

        // Rows without the details array keep the reasons joined in the reason column.
        reasons ??= string.IsNullOrEmpty(record.Reason) ? [] : record.Reason.Split("; ", StringSplitOptions.RemoveEmptyEntries);
        return new PolicyDecisionItem(record.Id, record.Time, record.Actor, tool, record.Decision, reasons, record.PolicyRevision, engine, duration, toolCallId, session, run);
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
