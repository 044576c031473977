using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;
using Soma.Memory.Cache;
using Soma.Memory.Client;
using Soma.Memory.Protocol;
using Soma.Memory.Service;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;

namespace Soma.Gateway.Memory;

/// <summary>
/// Long-term memory through the API: recall (<c>GET /v1/memory</c>), a session's memory writes and where each one is
/// (<c>GET /v1/sessions/{id}/memories</c>, the web UI's memory panel), and for operators the backlog
/// (<c>GET /v1/memory/status</c>) and a manual drain with progress (<c>POST /v1/memory/flush</c>).
/// </summary>
internal static partial class MemoryEndpoints
{
    private const int MaxQuery = 1000;
    private const int RetryAfterSeconds = 5;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/memory", RecallAsync).WithTags("memory")
            .WithSummary("Recall this tenant's long-term memories matching a query, by words, by meaning or both (through the recall cache); each says why it matched.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        routes.MapGet("/v1/sessions/{id:guid}/memories", SessionMemoriesAsync).WithTags("memory")
            .WithSummary("What the agent remembered for this session: each memory write, its links and whether it reached the memory service.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        var admin = routes.MapGroup("/v1/memory").RequireAuthorization(policy => policy.RequireClaim(SomaClaims.Roles, "admin"));
        admin.MapGet("/status", StatusAsync).WithTags("memory")
            .WithSummary("Operators: memory mode, breaker, drain rate and waiting writes per tenant.");
        admin.MapPost("/flush", FlushAsync).WithTags("memory")
            .WithSummary("Operators: deliver waiting memory writes now (optionally one tenant, or a dry run); streams NDJSON progress and audits who flushed what.")
            .Produces<MemoryFlushProgress>(StatusCodes.Status200OK, "application/x-ndjson");
    }

    private static async Task<Results<Ok<MemoryRecallResponse>, ProblemHttpResult>> RecallAsync(
        ClaimsPrincipal user, MemoryRecaller recaller, MemoryWriteThrough memory, HttpContext httpContext, string? query, int? top_k, string? session_id,
        [Description("How to find memories: text (by their words), vector (by meaning) or hybrid (both, fused; the default).")] string? mode,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query) || query.Length > MaxQuery)
        {
            return Problem.InvalidParameter("query", $"Parameter 'query' is required: 1 to {MaxQuery} characters.");
        }

        if (top_k is < 1 or > 50)
        {
            return Problem.InvalidParameter("top_k", "Parameter 'top_k' must be from 1 to 50.");
        }

        IReadOnlyList<string>? tags = null;
        if (session_id is not null)
        {
            if (!Guid.TryParse(session_id, out var sessionId))
            {
                return Problem.InvalidParameter("session_id", "Parameter 'session_id' must be a session id (a UUID).");
            }

            tags = [MemoryKeys.SessionTag(sessionId)];
        }

        // Always named to the memory service, so our own service says why each result matched (a request without a
        // mode gets SomaBrain's exact answer, without `match`).
        var recallMode = mode ?? RecallModes.Hybrid;
        if (recallMode is not (RecallModes.Text or RecallModes.Vector or RecallModes.Hybrid))
        {
            return Problem.InvalidParameter("mode", "Parameter 'mode' must be text, vector or hybrid (the default).");
        }

        RecallResponse found;
        try
        {
            found = await recaller.RecallAsync(
                new RecallRequest(query, user.GetTenantId(), memory.Namespace, top_k ?? 10, tags) { Mode = recallMode }, cancellationToken);
        }
        catch (Exception ex) when (recallMode == RecallModes.Vector && ex is MemoryValidationException or MemoryBackendException { Status: 422 })
        {
            // The request passed every check above, so the memory service refused the mode itself: recall by meaning is
            // off there (in this process the refusal is the service's own exception, over HTTP its 422).
            return Problem.InvalidParameter("mode", "Parameter 'mode' is 'vector' (recall by meaning), which the memory service has off; use text or hybrid.");
        }
        catch (MemoryBackendException ex)
        {
            // The client's error text may carry the memory service's own details: log it, do not send it.
            LogRecallFailed(httpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MemoryEndpoints)), ex);
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Memory unavailable",
                "Long-term memory cannot be searched right now; try again shortly. Memory writes are kept and delivered when it is back.");
        }

        return TypedResults.Ok(new MemoryRecallResponse(
            [.. found.Results.Select(r => new MemoryItem(r.Key, r.Score, MemoryValues.Role(r.Value), MemoryValues.Text(r.Value),
                MemoryValues.Field(r.Value, "session_id"), MemoryValues.Field(r.Value, "message_id"), [.. r.Links.Select(l => new MemoryLinkItem(l.Rel, l.Target, l.Weight))],
                Match(r.Match)))],
            found.TotalResults, found.Cached, found.Degraded, recallMode));
    }

    private static async Task<Results<Ok<SessionMemoriesResponse>, ProblemHttpResult>> SessionMemoriesAsync(
        Guid id, ClaimsPrincipal user, ISessionStore sessions, IOutbox outbox, CancellationToken cancellationToken)
    {
        var tenant = user.GetTenantId();
        if (await sessions.GetAsync(tenant, id, cancellationToken) is null)
        {
            return Problem.NotFound($"Session {id}");
        }

        var items = new List<SessionMemoryItem>();
        Guid? after = null;
        while (true)
        {
            var batch = await outbox.ListPartitionAsync(tenant, MemoryKeys.Partition(id), after, PageRequest.MaxLimit, cancellationToken);
            items.AddRange(batch.Select(ToItem).OfType<SessionMemoryItem>());
            if (batch.Count < PageRequest.MaxLimit || items.Count >= 5 * PageRequest.MaxLimit)
            {
                break;
            }

            after = batch[^1].Message.Id;
        }

        return TypedResults.Ok(new SessionMemoriesResponse(items,
            items.Count(i => i.Status == "pending"), items.Count(i => i.Status == "sent"), items.Count(i => i.Status == "dead_lettered")));
    }

    private static async Task<Ok<MemoryStatusResponse>> StatusAsync(MemoryBacklog backlog, MemoryHealthMonitor monitor, ResilientMemoryBackend client, MemoryDispatcher dispatcher, TimeProvider time, CancellationToken cancellationToken)
    {
        await backlog.RefreshAsync(cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new MemoryStatusResponse(
            Name(monitor.Mode), Name(client.BreakerState), Math.Round(dispatcher.DrainRate, 1), backlog.Cap,
            [.. backlog.Snapshot().Select(d => new MemoryBacklogItem(d.TenantId, d.Pending, d.OldestPendingAt is { } t ? Math.Round(Math.Max(0, (now - t).TotalSeconds), 1) : 0, d.DeadLettered))]));
    }

    private static async Task FlushAsync(
        HttpContext httpContext, ClaimsPrincipal user, MemoryBacklog backlog, MemoryDispatcher dispatcher, AuditTrail audit, string? tenant, bool? dry_run,
        CancellationToken cancellationToken)
    {
        var dryRun = dry_run ?? false;
        await backlog.RefreshAsync(cancellationToken);
        var waiting = backlog.Snapshot().Where(d => tenant is null || d.TenantId == tenant).ToList();
        var total = waiting.Sum(d => d.Pending);
        httpContext.Response.ContentType = "application/x-ndjson";
        httpContext.Response.Headers.CacheControl = "no-store";

        // The application's settings, as every other answer (a null is written, not left out, as the document declares).
        var lineType = (JsonTypeInfo<MemoryFlushProgress>)httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions
            .GetTypeInfo(typeof(MemoryFlushProgress));

        async Task WriteAsync(MemoryFlushProgress progress)
        {
            await httpContext.Response.WriteAsync(JsonSerializer.Serialize(progress, lineType) + "\n", cancellationToken);
            await httpContext.Response.Body.FlushAsync(cancellationToken);
        }

        long delivered = 0, failed = 0, deadLettered = 0;
        string? error = null;
        var perTenant = new Dictionary<string, long>(StringComparer.Ordinal);
        await WriteAsync(new MemoryFlushProgress(false, dryRun, total, 0, 0, 0, total, null));
        if (!dryRun)
        {
            var owner = $"{Environment.MachineName}:{Environment.ProcessId}:memory-flush:{InstanceName.New()}";
            while (!cancellationToken.IsCancellationRequested)
            {
                var pass = await dispatcher.DeliverAsync(owner, 25, tenant, cancellationToken);
                delivered += pass.Sent;
                failed += pass.Failed;
                deadLettered += pass.DeadLettered;
                if (pass.Claimed == 0)
                {
                    break;
                }

                if (pass.TransientError is not null)
                {
                    error = $"the memory service did not take the writes: {pass.TransientError}";
                    break;
                }

                await WriteAsync(new MemoryFlushProgress(false, false, total, delivered, failed, deadLettered, Math.Max(0, total - delivered - deadLettered), null));
            }
        }

        await backlog.RefreshAsync(CancellationToken.None);
        var remaining = backlog.Snapshot().Where(d => tenant is null || d.TenantId == tenant).Sum(d => d.Pending);
        var actor = user.GetSubject();
        foreach (var t in waiting.Select(d => d.TenantId).Append(tenant).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            await audit.WriteAsync("soma/memory", t, actor, "memory.flush", "outbox:memory", dryRun ? "dry run: nothing delivered" : error,
                new Dictionary<string, object?>
                {
                    ["dry_run"] = dryRun,
                    ["requested_by_tenant"] = user.GetTenantId(),
                    ["tenant_filter"] = tenant,
                    ["waiting_before"] = waiting.FirstOrDefault(d => d.TenantId == t)?.Pending ?? 0,
                    ["delivered_in_flush"] = delivered,
                    ["remaining_after"] = remaining,
                }, CancellationToken.None);
        }

        await WriteAsync(new MemoryFlushProgress(true, dryRun, total, delivered, failed, deadLettered, remaining, error));
    }

    private static SessionMemoryItem? ToItem(OutboxEntry entry)
    {
        var status = entry.Status switch
        {
            OutboxStatus.Sent => "sent",
            OutboxStatus.DeadLettered => "dead_lettered",
            _ => "pending",
        };
        try
        {
            if (entry.Message.Topic == MemoryKeys.LinkTopic)
            {
                var link = JsonSerializer.Deserialize(entry.Message.Payload, MemoryJson.Default.LinkRequest)!;
                return new SessionMemoryItem("link", link.FromKey, null, null, status, entry.Attempts, entry.Message.CreatedAt, entry.SentAt, entry.LastError,
                    [new MemoryLinkItem(link.Type, link.ToKey, link.Weight)]);
            }

            var remember = JsonSerializer.Deserialize(entry.Message.Payload, MemoryJson.Default.RememberRequest)!;
            return new SessionMemoryItem("memory", remember.Key, MemoryValues.Field(remember.Value, "role"), MemoryValues.Field(remember.Value, "text"), status, entry.Attempts,
                entry.Message.CreatedAt, entry.SentAt, entry.LastError, [.. (remember.Links ?? []).Select(l => new MemoryLinkItem(l.Rel, l.Target, l.Weight))]);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = LogEvents.MemoryEndpointsRecallFailed, Level = LogLevel.Warning, Message = "A recall through the API failed")]
    private static partial void LogRecallFailed(ILogger logger, Exception exception);

    // Only the values the API documents; anything else a memory service says is "does not say".
    private static string? Match(string? match) => match is RecallModes.Text or RecallModes.Meaning or RecallModes.Both ? match : null;

    private static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
