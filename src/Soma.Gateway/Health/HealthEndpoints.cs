using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Soma.Core.Health;
using Soma.Core.Storage;

namespace Soma.Gateway.Health;

/// <summary><c>/healthz</c> (alive), <c>/readyz</c> (can serve: the store answers) and <c>/v1/health</c> (every component).</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Ok(new LivenessResponse("ok")))
            .AllowAnonymous()
            .WithTags("health")
            .WithSummary("Liveness: the process is up.");

        routes.MapGet("/readyz", async Task<Results<Ok<LivenessResponse>, JsonHttpResult<LivenessResponse>>> (IStore store, CancellationToken cancellationToken) =>
            {
                var health = await store.CheckHealthAsync(cancellationToken);
                return health.Status == HealthStatus.Down
                    ? TypedResults.Json(new LivenessResponse("not-ready"), statusCode: StatusCodes.Status503ServiceUnavailable)
                    : TypedResults.Ok(new LivenessResponse("ready"));
            })
            .AllowAnonymous()
            .WithTags("health")
            .WithSummary("Readiness: the store answers, so requests can be accepted.");

        routes.MapGet("/v1/health", async (IEnumerable<IHealthReporter> reporters, CancellationToken cancellationToken) =>
            {
                var components = await Task.WhenAll(reporters.Select(r => CheckAsync(r, cancellationToken)));
                var worst = components.Length == 0 ? HealthStatus.Normal : components.Max(c => c.Status);
                return TypedResults.Ok(new HealthResponse(
                    ToWire(worst),
                    [.. components.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new ComponentResponse(c.Name, ToWire(c.Status), c.Details))]));
            })
            .WithTags("health")
            .WithSummary("The health of every component: normal, degraded or down, with details.");
    }

    private static async Task<ComponentHealth> CheckAsync(IHealthReporter reporter, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            return await reporter.CheckHealthAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ComponentHealth(reporter.GetType().Name, HealthStatus.Down, new Dictionary<string, object?> { ["error"] = "health check timed out" });
        }
    }

    private static string ToWire(HealthStatus status) => status switch
    {
        HealthStatus.Normal => "normal",
        HealthStatus.Degraded => "degraded",
        _ => "down",
    };
}

/// <summary>The answer of <c>/healthz</c> and <c>/readyz</c>.</summary>
/// <param name="Status"><c>ok</c>, <c>ready</c> or <c>not-ready</c>.</param>
internal sealed record LivenessResponse(string Status);

/// <summary>The answer of <c>/v1/health</c>.</summary>
/// <param name="Status">The worst component status.</param>
/// <param name="Components">Each component's status and details.</param>
internal sealed record HealthResponse(string Status, IReadOnlyList<ComponentResponse> Components);

/// <summary>One component in <c>/v1/health</c>.</summary>
internal sealed record ComponentResponse(string Name, string Status, IReadOnlyDictionary<string, object?> Details);
