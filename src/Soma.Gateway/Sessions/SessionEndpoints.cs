using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Soma.Contracts.Identity;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Sessions;

/// <summary>The sessions API. Every call is scoped to the token's tenant: another tenant's session is 404.</summary>
internal static class SessionEndpoints
{
    private const int MaxTitleLength = 200;
    private const int MaxMetadataBytes = 16 * 1024;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/sessions").WithTags("sessions");
        group.MapPost("/", CreateAsync).WithSummary("Create a session.").Accepts<CreateSessionRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/", ListAsync).WithSummary("List the tenant's sessions, newest first.").ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/{id:guid}", GetAsync).WithSummary("Get a session.");
        group.MapPatch("/{id:guid}", UpdateAsync).WithSummary("Rename a session.").Accepts<UpdateSessionRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapDelete("/{id:guid}", DeleteAsync).WithSummary("Delete a session and its messages.");
        group.MapGet("/{id:guid}/messages", ListMessagesAsync).WithSummary("List a session's messages, oldest first.").ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static async Task<Results<Created<SessionResponse>, ProblemHttpResult>> CreateAsync(
        HttpContext httpContext, ClaimsPrincipal user, IStore store, ISessionStore sessions, IIdGenerator ids, TimeProvider timeProvider)
    {
        var (request, problem) = await JsonBody.ReadAsync(httpContext, GatewayJsonContext.Default.CreateSessionRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (ValidateTitle(request!.Title) is { } titleProblem)
        {
            return titleProblem;
        }

        string? metadata = null;
        if (request.Metadata is { } element && element.ValueKind != JsonValueKind.Null)
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

        var now = timeProvider.GetUtcNow();
        var session = new Session(ids.NewId(), user.GetTenantId(), request.Title, metadata, now, now);
        await using (var transaction = await store.BeginAsync(httpContext.RequestAborted))
        {
            await sessions.CreateAsync(transaction, session, httpContext.RequestAborted);
            await transaction.CommitAsync(httpContext.RequestAborted);
        }

        return TypedResults.Created($"/v1/sessions/{session.Id}", ToResponse(session));
    }

    private static async Task<Results<Ok<PageResponse<SessionResponse>>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, ISessionStore sessions, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, cursor, out var page) is { } pagingProblem)
        {
            return pagingProblem;
        }

        var result = await sessions.ListAsync(user.GetTenantId(), page, cancellationToken);
        return TypedResults.Ok(new PageResponse<SessionResponse>([.. result.Items.Select(ToResponse)], result.NextCursor));
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, ISessionStore sessions, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(user.GetTenantId(), id, cancellationToken);
        return session is null ? Problem.NotFound($"Session {id}") : TypedResults.Ok(ToResponse(session));
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> UpdateAsync(
        Guid id, HttpContext httpContext, ClaimsPrincipal user, IStore store, ISessionStore sessions, TimeProvider timeProvider)
    {
        var (request, problem) = await JsonBody.ReadAsync(httpContext, GatewayJsonContext.Default.UpdateSessionRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (ValidateTitle(request!.Title) is { } titleProblem)
        {
            return titleProblem;
        }

        var tenant = user.GetTenantId();
        bool updated;
        await using (var transaction = await store.BeginAsync(httpContext.RequestAborted))
        {
            updated = await sessions.UpdateTitleAsync(transaction, tenant, id, request.Title, timeProvider.GetUtcNow(), httpContext.RequestAborted);
            await transaction.CommitAsync(httpContext.RequestAborted);
        }

        var session = updated ? await sessions.GetAsync(tenant, id, httpContext.RequestAborted) : null;
        return session is null ? Problem.NotFound($"Session {id}") : TypedResults.Ok(ToResponse(session));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid id, ClaimsPrincipal user, IStore store, ISessionStore sessions, CancellationToken cancellationToken)
    {
        bool deleted;
        await using (var transaction = await store.BeginAsync(cancellationToken))
        {
            deleted = await sessions.DeleteAsync(transaction, user.GetTenantId(), id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return deleted ? TypedResults.NoContent() : Problem.NotFound($"Session {id}");
    }

    private static async Task<Results<Ok<PageResponse<MessageResponse>>, ProblemHttpResult>> ListMessagesAsync(
        Guid id, ClaimsPrincipal user, ISessionStore sessions, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, cursor, out var page) is { } pagingProblem)
        {
            return pagingProblem;
        }

        var tenant = user.GetTenantId();
        if (await sessions.GetAsync(tenant, id, cancellationToken) is null)
        {
            return Problem.NotFound($"Session {id}");
        }

        var result = await sessions.ListMessagesAsync(tenant, id, page, cancellationToken);
        return TypedResults.Ok(new PageResponse<MessageResponse>([.. result.Items.Select(ToResponse)], result.NextCursor));
    }

    private static ProblemHttpResult? ValidateTitle(string? title) =>
        title is { Length: > MaxTitleLength }
            ? Problem.InvalidField("/title", $"Field '/title' must be at most {MaxTitleLength} characters.")
            : null;

    private static SessionResponse ToResponse(Session s) =>
        new(s.Id, s.Title, ParseObject(s.Metadata), s.CreatedAt, s.UpdatedAt);

    private static MessageResponse ToResponse(SessionMessage m) =>
        new(m.Id, m.SessionId, m.Role, m.Content, ParseObject(m.Metadata), m.CreatedAt);

    private static JsonElement? ParseObject(string? json) =>
        json is null ? null : JsonElement.Parse(json);
}
