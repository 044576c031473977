using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Limits;
using Soma.Core.Storage;
using Soma.Core.Streaming;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;
using Soma.Orchestration.Runs;

namespace Soma.Gateway.Sessions;

/// <summary>
/// <c>POST /v1/sessions/{id}/messages</c>: a message is accepted durably — the message, the accepted <c>chat.turn</c>
/// run, its memory write, the outbox row of its <c>conversation.user_message</c> event and the session's copy of that
/// event commit in one transaction — then answered 202. A tenant whose memory writes back up past its cap gets 503. An <c>Idempotency-Key</c> makes the POST safe to retry.
/// </summary>
internal static class MessageEndpoints
{
    /// <summary>The workflow that answers a message (registered by the agents component).</summary>
    public const string TurnWorkflow = "chat.turn";

    private const int MaxMetadataBytes = 16 * 1024;
    private const int MemoryRetryAfterSeconds = 5;
    private const int MaxIdempotencyKeyLength = 200;
    private const string SessionGone = "The session does not exist.";
    private const string BacklogIsFull = "The tenant's memory backlog is full.";

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/sessions/{id:guid}/messages", PostAsync).WithTags("sessions")
            .WithSummary("Send a message; the agent's turn runs as a chat.turn run.")
            .Accepts<PostMessageRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<Results<Accepted<MessageAcceptedResponse>, ProblemHttpResult>> PostAsync(
        Guid id, HttpContext httpContext, ClaimsPrincipal user, ISessionStore sessions, IOutbox outbox, RunService runs,
        IIdGenerator ids, TimeProvider time, ISessionStream stream, ActiveTurnCounter turns, GroupCommitter committer, MemoryWriteThrough memory, MemoryBacklog backlog,
        IOptions<GatewayOptions> options)
    {
        var limits = options.Value;
        if (httpContext.Request.ContentLength > limits.MaxMessageBytes * 6L + MaxMetadataBytes + 1024)
        {
            // Even fully escaped, a body this large cannot hold an acceptable message: refuse before reading it.
            return TooLarge(limits.MaxMessageBytes);
        }

        var (request, problem) = await JsonBody.ReadAsync(httpContext, GatewayJsonContext.Default.PostMessageRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (request!.Content is not { } content || string.IsNullOrWhiteSpace(content))
        {
            return Problem.InvalidField("/content", "Field 'content' is required and must not be blank.");
        }

        if (Encoding.UTF8.GetByteCount(content) > limits.MaxMessageBytes)
        {
            return TooLarge(limits.MaxMessageBytes);
        }

        string? metadata = null;
        if (request.Metadata is { ValueKind: not JsonValueKind.Null } element)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                return Problem.InvalidField("/metadata", "Field '/metadata' must be a JSON object.");
            }

            metadata = element.GetRawText();
            if (metadata.Length > MaxMetadataBytes)
            {
                return Problem.InvalidField("/metadata", $"Field '/metadata' must be at most {MaxMetadataBytes} bytes.");
            }
        }

        string? idempotencyKey = null;
        if (httpContext.Request.Headers.TryGetValue("Idempotency-Key", out var keys))
        {
            idempotencyKey = keys.ToString();
            if (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(c => c is < '!' or > '~'))
            {
                return Problem.Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidParameter, "Invalid header",
                    $"Header 'Idempotency-Key' must be 1 to {MaxIdempotencyKeyLength} printable ASCII characters without spaces.",
                    new Dictionary<string, object?> { ["header"] = "Idempotency-Key" });
            }
        }

        var tenant = user.GetTenantId();

        // Accepting the message without its memory write would lose it: refuse until the backlog drains. A retry of a
        // message accepted before (same Idempotency-Key) adds no write, so it still gets its answer: only a new run is refused.
        var admitted = backlog.TryAdmit(tenant, turns.Count(tenant));
        if (!admitted && idempotencyKey is null)
        {
            return BacklogFull(httpContext, backlog.Cap);
        }

        if (!turns.TryAcquire(tenant, limits.MaxConcurrentTurns))
        {
            httpContext.Response.Headers.RetryAfter = "1";
            return Problem.Create(StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyRequests, "Too many turns in flight",
                $"This tenant already has {limits.MaxConcurrentTurns} turns in flight (Soma:Gateway:MaxConcurrentTurns); try again when one ends.");
        }

        var slotHeld = true;
        try
        {
            var hash = RequestHash(content, metadata);
            var messageId = ids.NewId();
            var replyId = ids.NewId();
            // The caller travels with the turn: the worker that runs it asks the policy on the caller's behalf.
            var input = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["session_id"] = id.ToString(),
                ["message_id"] = messageId.ToString(),
                ["reply_id"] = replyId.ToString(),
                ["request_hash"] = hash,
                ["subject"] = user.GetSubject(),
                ["roles"] = user.GetRoles(),
            });
            // The request's own span (a child of the caller's traceparent, if any): the worker's run continues it, in this
            // process or another, so the whole turn is one trace.
            var traceParent = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C, Id: { } current }
                ? current
                : httpContext.Request.Headers.TraceParent.ToString();
            var cancellationToken = httpContext.RequestAborted;
            Outcome outcome;
            try
            {
                // Concurrent messages share one transaction (one fsync) on a single-writer engine.
                outcome = await committer.RunAsync(async (transaction, token) =>
                {
                    var started = await runs.AcceptAsync(
                        transaction, tenant, TurnWorkflow, null, input, idempotencyKey is null ? null : $"message:{id}:{idempotencyKey}",
                        string.IsNullOrEmpty(traceParent) ? null : traceParent, token);
                    if (started is RunStartResult.Accepted { Existing: true, Run: var existing })
                    {
                        return new Outcome(existing, Existing: true);
                    }

                    if (started is not RunStartResult.Accepted { Run: var run })
                    {
                        return new Outcome(null, Existing: false);
                    }

                    if (!admitted)
                    {
                        // Throwing rolls back the run written above: a refused message leaves nothing behind.
                        throw new InvalidOperationException(BacklogIsFull);
                    }

                    var now = time.GetUtcNow();
                    if (!await sessions.AppendMessageAsync(transaction, new SessionMessage(messageId, tenant, id, "user", content, metadata, now), token))
                    {
                        // Throwing rolls back the run written above (and retries any other message of the batch alone).
                        throw new InvalidOperationException(SessionGone);
                    }

                    await memory.RememberMessageAsync(transaction, tenant, id, messageId, "user", content, null,
                        new Dictionary<string, string> { ["run_id"] = run.Id.ToString() }, token);
                    var context = EventContext.FromActivity(System.Diagnostics.Activity.Current, tenant, "soma/gateway", httpContext.TraceIdentifier) with { SessionId = id, RunId = run.Id };
                    var envelope = context.Create(new UserMessage(messageId, content), ids, time, idempotencyKey);
                    var payload = EventJson.Serialize(envelope);
                    await outbox.AppendAsync(transaction, OutboxMessages.For(envelope, payload, id.ToString()), token);
                    await sessions.AppendEventAsync(transaction, new SessionEvent(tenant, id, 0, envelope.Id, UserMessage.EventType, payload, envelope.Time), token);
                    var key = new SessionKey(tenant, id);
                    transaction.OnCommitted(() => stream.NotifyDurable(key));
                    return new Outcome(run, Existing: false);
                }, cancellationToken);
            }
            catch (InvalidOperationException ex) when (ex.Message == SessionGone)
            {
                return Problem.NotFound($"Session {id}");
            }
            catch (InvalidOperationException ex) when (ex.Message == BacklogIsFull)
            {
                return BacklogFull(httpContext, backlog.Cap);
            }

            switch (outcome)
            {
                case { Run: { } existing, Existing: true }:
                    return Replay(existing, id, hash, idempotencyKey!);
                case { Run: { } run }:
                    // The slot now belongs to the run; the worker gives it back when the turn ends.
                    slotHeld = false;
                    return TypedResults.Accepted($"/v1/runs/{run.Id}", new MessageAcceptedResponse(messageId, run.Id, replyId));
                default:
                    return Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Turns unavailable",
                        $"This process has no '{TurnWorkflow}' workflow registered, so it cannot take messages.");
            }
        }
        finally
        {
            if (slotHeld)
            {
                turns.Release(tenant);
            }
        }
    }

    // The same key again: the same answer for the same body, a conflict for another body.
    private static Results<Accepted<MessageAcceptedResponse>, ProblemHttpResult> Replay(Core.Runs.RunRecord run, Guid sessionId, string hash, string idempotencyKey)
    {
        using var input = JsonDocument.Parse(run.Input);
        var root = input.RootElement;
        string? Get(string name) => root.TryGetProperty(name, out var v) ? v.GetString() : null;
        if (Get("session_id") != sessionId.ToString() || Get("request_hash") != hash)
        {
            return Problem.Conflict($"Idempotency-Key '{idempotencyKey}' was already used for a different message; use a new key for a new message.");
        }

        return TypedResults.Accepted($"/v1/runs/{run.Id}", new MessageAcceptedResponse(
            Guid.Parse(Get("message_id")!, CultureInfo.InvariantCulture), run.Id, Guid.Parse(Get("reply_id")!, CultureInfo.InvariantCulture)));
    }

    private static string RequestHash(string content, string? metadata)
    {
        var bytes = Encoding.UTF8.GetBytes(content + "\u0000" + (metadata ?? string.Empty));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static ProblemHttpResult TooLarge(int limit) =>
        Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemTypes.BodyTooLarge, "Message too large",
            $"The message is larger than the limit of {limit} bytes (Soma:Gateway:MaxMessageBytes).");

    private static ProblemHttpResult BacklogFull(HttpContext httpContext, int cap)
    {
        httpContext.Response.Headers.RetryAfter = MemoryRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Memory backlog full",
            $"This tenant has {cap} memory writes waiting for the memory service (Soma:Memory:OutboxCapPerTenant); try again when they drain.");
    }

    private sealed record Outcome(Core.Runs.RunRecord? Run, bool Existing);
}
