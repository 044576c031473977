using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Soma.Gateway.Hosting;

/// <summary>
/// Declares the error answers every operation can give without its endpoint saying so: 401 (no valid token) on every
/// operation that needs one, 403 where a role is required, and a <c>default</c> response for any other status, which
/// is always an <c>application/problem+json</c> problem (the rate limiter's 429, a 404 for an unknown id, a 500).
/// </summary>
internal sealed class ProblemResponses : IOpenApiOperationTransformer
{
    private const string ProblemJson = "application/problem+json";
    private const string ProblemSchemaId = "ProblemDetails";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(ProblemSchemaId))
        {
            document.Components.Schemas[ProblemSchemaId] = await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), cancellationToken: cancellationToken);
        }

        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= [];
        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            Add(operation, document, StatusCodes.Status401Unauthorized.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "No valid bearer token (missing, expired, wrong signature or without a tenant).");
        }

        if (metadata.OfType<AuthorizationPolicy>().Any(p => p.Requirements.Count > 0))
        {
            Add(operation, document, StatusCodes.Status403Forbidden.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "The token lacks a role this operation needs.");
        }

        Add(operation, document, "default", "Any other error, as an RFC 9457 problem.");
    }

    private static void Add(OpenApiOperation operation, OpenApiDocument document, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new() { Schema = new OpenApiSchemaReference(ProblemSchemaId, document) },
            },
        };
    }
}
