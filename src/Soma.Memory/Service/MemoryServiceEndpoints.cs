using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Soma.Core.Storage;
using Soma.Memory.Protocol;

namespace Soma.Memory.Service;

/// <summary>
/// The memory service's HTTP surface, the SomaBrain protocol: <c>POST /memory/remember</c>,
/// <c>POST /memory/remember/batch</c>, <c>POST /memory/recall</c>, <c>POST /link</c> (bearer token required) and
/// <c>GET /health</c> (anonymous). Tenancy: <c>X-Tenant-ID</c> is required and must equal the body's tenant; the
/// token's <c>tenant</c> claim must equal it unless the token has the <c>memory</c> role (a service that writes for
/// every tenant). Errors are <c>{"detail": …}</c>: 403 tenancy, 404 unknown link source, 422 malformed or invalid
/// body, 503 store unavailable.
/// </summary>
internal static partial class MemoryServiceEndpoints
{
    public const string TenantHeader = "X-Tenant-ID";
    public const string RequestIdHeader = "X-Request-ID";
    public const string TenantClaim = "tenant";
    public const string RolesClaim = "roles";
    public const string ServiceRole = "memory";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var marker = new MemoryServiceEndpointMetadata();
        var api = endpoints.MapGroup("").WithMetadata(marker);
        api.MapPost("/memory/remember", RememberAsync).RequireAuthorization();
        api.MapPost("/memory/remember/batch", RememberBatchAsync).RequireAuthorization();
        api.MapPost("/memory/recall", RecallAsync).RequireAuthorization();
        api.MapPost("/link", LinkAsync).RequireAuthorization();
        api.MapGet("/health", HealthAsync).AllowAnonymous();
    }

    private static Task<IResult> RememberAsync(HttpContext context, MemoryService service, ILogger<MemoryService> logger) =>
        HandleAsync(context, logger, MemoryJson.Default.RememberRequest, r => r.Tenant, async (request, tenant, ct) =>
            Results.Json(await service.RememberAsync(request, ct).ConfigureAwait(false), MemoryJson.Default.RememberResponse));

    private static Task<IResult> RememberBatchAsync(HttpContext context, MemoryService service, ILogger<MemoryService> logger) =>
        HandleAsync(context, logger, MemoryJson.Default.RememberBatchRequest, r => r.Tenant, async (request, tenant, ct) =>
            Results.Json(await service.RememberBatchAsync(request, ct).ConfigureAwait(false), MemoryJson.Default.RememberBatchResponse));

    private static Task<IResult> RecallAsync(HttpContext context, MemoryService service, ILogger<MemoryService> logger) =>
        HandleAsync(context, logger, MemoryJson.Default.RecallRequest, r => r.Tenant, async (request, tenant, ct) =>
            Results.Json(await service.RecallAsync(request, ct).ConfigureAwait(false), MemoryJson.Default.RecallResponse));

    // /link carries no tenant in its body: the header is the tenant.
    private static Task<IResult> LinkAsync(HttpContext context, MemoryService service, ILogger<MemoryService> logger) =>
        HandleAsync(context, logger, MemoryJson.Default.LinkRequest, _ => null, async (request, tenant, ct) =>
        {
            await service.LinkAsync(tenant, request, ct).ConfigureAwait(false);
            return Results.Json(new MemoryOkResponse(true), MemoryJson.Default.MemoryOkResponse);
        });

    private static async Task<IResult> HealthAsync(MemoryService service, CancellationToken cancellationToken) =>
        Results.Json(await service.HealthAsync(cancellationToken).ConfigureAwait(false), MemoryJson.Default.MemoryHealthResponse);

    private static async Task<IResult> HandleAsync<TRequest>(
        HttpContext context,
        ILogger logger,
        JsonTypeInfo<TRequest> typeInfo,
        Func<TRequest, string?> tenantOf,
        Func<TRequest, string, CancellationToken, Task<IResult>> handle)
        where TRequest : class
    {
        var cancellationToken = context.RequestAborted;
        if (!TryGetTenant(context, out var tenant, out var refusal))
        {
            return refusal;
        }

        TRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, typeInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, string.IsNullOrEmpty(ex.Path)
                ? "The body is not valid JSON for this endpoint."
                : $"The body is not valid JSON for this endpoint (at {ex.Path}).");
        }

        if (request is null)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "The body must be a JSON object.");
        }

        // An empty body tenant is a validation error (422); a different one is a tenancy refusal.
        if (tenantOf(request) is { Length: > 0 } bodyTenant && !string.Equals(bodyTenant, tenant, StringComparison.Ordinal))
        {
            return Error(StatusCodes.Status403Forbidden, $"tenant in the body must equal the {TenantHeader} header.");
        }

        try
        {
            return await handle(request, tenant, cancellationToken).ConfigureAwait(false);
        }
        catch (MemoryValidationException ex)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, ex.Message);
        }
        catch (MemoryNotFoundException ex)
        {
            return Error(StatusCodes.Status404NotFound, ex.Message);
        }
        catch (StoreException ex)
        {
            Log.StoreFailed(logger, context.Request.Path, ex);
            if (ex.IsTransient)
            {
                context.Response.Headers.RetryAfter = "1";
                return Error(StatusCodes.Status503ServiceUnavailable, "The memory store is busy; try again.");
            }

            return Error(StatusCodes.Status500InternalServerError, "The memory store failed; the error is logged.");
        }
    }

    private static bool TryGetTenant(HttpContext context, out string tenant, out IResult refusal)
    {
        tenant = context.Request.Headers[TenantHeader].ToString();
        refusal = null!;
        if (string.IsNullOrEmpty(tenant) || context.Request.Headers[TenantHeader].Count != 1)
        {
            refusal = Error(StatusCodes.Status403Forbidden, $"The {TenantHeader} header is required (one value).");
            return false;
        }

        var user = context.User;
        if (HasRole(user, ServiceRole) || string.Equals(user.FindFirst(TenantClaim)?.Value, tenant, StringComparison.Ordinal))
        {
            return true;
        }

        refusal = Error(StatusCodes.Status403Forbidden, $"The token's tenant is not {TenantHeader}, and the token has no '{ServiceRole}' role.");
        return false;
    }

    private static bool HasRole(ClaimsPrincipal user, string role) =>
        user.FindAll(RolesClaim).Any(c => string.Equals(c.Value, role, StringComparison.Ordinal));

    private static IResult Error(int status, string detail) =>
        Results.Json(new MemoryErrorResponse(detail), MemoryJson.Default.MemoryErrorResponse, statusCode: status);

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.MemoryServiceEndpointsStoreFailed, Level = LogLevel.Error, Message = "Memory request {Path} failed in the store")]
        public static partial void StoreFailed(ILogger logger, PathString path, Exception exception);
    }
}

/// <summary>Marks the memory service's endpoints, so their responses (401s included) carry <c>X-Request-ID</c>.</summary>
internal sealed class MemoryServiceEndpointMetadata;
