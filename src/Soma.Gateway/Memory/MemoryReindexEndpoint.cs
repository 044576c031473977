using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;
using Soma.Memory.Embeddings;
using Soma.Memory.Vectors;

namespace Soma.Gateway.Memory;

/// <summary>
/// <c>POST /v1/memory/reindex</c> (operators): gives every memory a current vector of one model, streaming NDJSON
/// progress, while recall goes on over the vectors already there. Stopped (the connection closed) and started again, it
/// picks up where it was. Audited.
/// </summary>
internal static class MemoryReindexEndpoint
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/memory/reindex", ReindexAsync).WithTags("memory")
            .RequireAuthorization(policy => policy.RequireClaim(SomaClaims.Roles, "admin"))
            .WithSummary("Operators: compute the vectors of one embedding model for every memory (optionally one tenant); streams NDJSON progress and audits who reindexed what.")
            .Produces<MemoryReindexProgress>(StatusCodes.Status200OK, "application/x-ndjson")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ReindexAsync(
        HttpContext httpContext, ClaimsPrincipal user, IServiceProvider services, AuditTrail audit, string? model, string? tenant, CancellationToken cancellationToken)
    {
        var catalog = services.GetService<IEmbedderCatalog>();
        var vectors = services.GetService<IMemoryVectorStore>();
        if (catalog is null || vectors is null)
        {
            return Problem.Create(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Recall by meaning is off",
                "This server keeps no vectors (its store or Soma:Memory:Embeddings:Provider=None), so there is nothing to reindex.");
        }

        var modelId = string.IsNullOrWhiteSpace(model) ? catalog.Configured?.Model : model;
        if (modelId is null || !catalog.TryGet(modelId, out var embedder))
        {
            var known = string.Join(", ", catalog.InProcessModels.Concat(catalog.Configured is { } c ? [c.Model] : []).Distinct(StringComparer.OrdinalIgnoreCase));
            return Problem.InvalidParameter("model", modelId is null
                ? $"Parameter 'model' is required when no embedding model is configured; this server can embed with: {known}."
                : $"Parameter 'model' names '{modelId}', which this server cannot embed with; it can embed with: {known}.");
        }

        if (tenant is { Length: 0 or > 256 })
        {
            return Problem.InvalidParameter("tenant", "Parameter 'tenant' must be 1 to 256 characters.");
        }

        var reindexer = services.GetRequiredService<MemoryReindexer>();
        httpContext.Response.ContentType = "application/x-ndjson";
        httpContext.Response.Headers.CacheControl = "no-store";
        var lineType = (JsonTypeInfo<MemoryReindexProgress>)services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions
            .GetTypeInfo(typeof(MemoryReindexProgress));

        ReindexProgress? last = null;
        string? error = null;
        try
        {
            await foreach (var progress in reindexer.RunAsync(embedder, tenant, cancellationToken))
            {
                last = progress;
                await httpContext.Response.WriteAsync(JsonSerializer.Serialize(MemoryReindexProgress.From(progress), lineType) + "\n", cancellationToken);
                await httpContext.Response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (StoreException)
        {
            error = "the store failed during the reindex; run it again to go on where it stopped";
            await httpContext.Response.WriteAsync(
                JsonSerializer.Serialize(new MemoryReindexProgress(true, embedder.Model, tenant, last?.Total ?? 0, last?.Current ?? 0, last?.Embedded ?? 0, last?.Failed ?? 0, error), lineType) + "\n",
                CancellationToken.None);
        }

        await audit.WriteAsync("soma/memory", tenant ?? user.GetTenantId(), user.GetSubject(), "memory.reindex", $"model:{embedder.Model}", error ?? last?.Error,
            new Dictionary<string, object?>
            {
                ["model"] = embedder.Model,
                ["tenant_filter"] = tenant,
                ["embedded"] = last?.Embedded ?? 0,
                ["failed"] = last?.Failed ?? 0,
                ["finished"] = last?.Done ?? false,
            }, CancellationToken.None);
        return Results.Empty;
    }
}

/// <summary>One line of <c>POST /v1/memory/reindex</c>'s progress.</summary>
/// <param name="Done">True on the last line.</param>
/// <param name="Model">The model being filled in.</param>
/// <param name="Tenant">The tenant, or null for all.</param>
/// <param name="Total">Memories in all.</param>
/// <param name="Current">Memories with a current vector of the model.</param>
/// <param name="Embedded">Memories embedded by this run.</param>
/// <param name="Failed">Memories this run could not embed (left for the next run).</param>
/// <param name="Error">What went wrong, when something did.</param>
internal sealed record MemoryReindexProgress(bool Done, string Model, string? Tenant, long Total, long Current, long Embedded, long Failed, string? Error)
{
    public static MemoryReindexProgress From(ReindexProgress p) => new(p.Done, p.Model, p.Tenant, p.Total, p.Current, p.Embedded, p.Failed, p.Error);
}
