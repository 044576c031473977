using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Soma.Core.Turns;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Sessions;

/// <summary>
/// <c>POST /v1/sessions/{id}/messages</c>: checks the request, hands the message to <see cref="MessageIntake"/> and
/// answers what it decided: 202 when accepted durably, 503 when the tenant's memory writes back up to its cap, 429 at
/// its limit of turns in flight, 404 for an unknown session, 409 for an <c>Idempotency-Key</c> reused for another body.
/// </summary>
internal static class MessageEndpoints
{
    private const int MaxMetadataBytes = 16 * 1024;
    private const int MemoryRetryAfterSeconds = 5;
    private const int MaxIdempotencyKeyLength = 200;

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
        Guid id, HttpContext httpContext, ClaimsPrincipal user, MessageIntake intake, IOptions<GatewayOptions> options)
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

        // The request's own span (a child of the caller's traceparent, if any): the worker's run continues it, in this
        // process or another, so the whole turn is one trace.
        var traceParent = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C, Id: { } current }
            ? current
            : httpContext.Request.Headers.TraceParent.ToString();
        var message = new IncomingMessage(
            user.GetTenantId(), id, content, metadata, idempotencyKey, user.GetSubject(), user.GetRoles(),
            string.IsNullOrEmpty(traceParent) ? null : traceParent, httpContext.TraceIdentifier);
        switch (await intake.AcceptAsync(message, limits.MaxConcurrentTurns, httpContext.RequestAborted))
        {
            case IntakeResult.Accepted accepted:
                return TypedResults.Accepted($"/v1/runs/{accepted.RunId}", new MessageAcceptedResponse(accepted.MessageId, accepted.RunId, accepted.ReplyId));
            case IntakeResult.KeyReused reused:
                return Problem.Conflict($"Idempotency-Key '{reused.IdempotencyKey}' was already used for a different message; use a new key for a new message.");
            case IntakeResult.SessionNotFound:
                return Problem.NotFound($"Session {id}");
            case IntakeResult.BacklogFull full:
                httpContext.Response.Headers.RetryAfter = MemoryRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Memory backlog full",
                    $"This tenant has {full.Cap} memory writes waiting for the memory service (Soma:Memory:OutboxCapPerTenant); try again when they drain.");
            case IntakeResult.TooManyTurns many:
                httpContext.Response.Headers.RetryAfter = "1";
                return Problem.Create(StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyRequests, "Too many turns in flight",
                    $"This tenant already has {many.Limit} turns in flight (Soma:Gateway:MaxConcurrentTurns); try again when one ends.");
            default:
                return Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Turns unavailable",
                    $"This process has no '{ChatTurn.Workflow}' workflow registered, so it cannot take messages.");
        }
    }

    private static ProblemHttpResult TooLarge(int limit) =>
        Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemTypes.BodyTooLarge, "Message too large",
            $"The message is larger than the limit of {limit} bytes (Soma:Gateway:MaxMessageBytes).");

}
