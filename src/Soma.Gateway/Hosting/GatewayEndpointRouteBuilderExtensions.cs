using Microsoft.AspNetCore.Builder;
using Soma.Gateway.Health;
using Soma.Gateway.Runs;
using Soma.Gateway.Sessions;

namespace Soma.Gateway.Hosting;

/// <summary>Maps the gateway's middleware and endpoints.</summary>
public static class GatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Adds error handling, authentication, health and metrics to <paramref name="app"/>, and with <paramref name="api"/>
    /// (the <c>gateway</c> role) every API endpoint, the event streams, the web UI and the OpenAPI document.
    /// </summary>
    public static WebApplication MapSomaGateway(this WebApplication app, bool api = true)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        HealthEndpoints.Map(app);
        // Metrics span every tenant (outbox depth is labelled by tenant): operators only.
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(policy => policy.RequireClaim(Auth.SomaClaims.Roles, "admin"));
        if (!api)
        {
            return app;
        }

        Auth.JwksEndpoints.Map(app);
        SessionEndpoints.Map(app);
        MessageEndpoints.Map(app);
        SessionEventStream.Map(app);
        Usage.UsageEndpoints.Map(app);
        Memory.MemoryEndpoints.Map(app);
        Memory.MemoryReindexEndpoint.Map(app);
        Policy.PolicyEndpoints.Map(app);
        Tools.ToolStatsEndpoints.Map(app);
        RunEndpoints.Map(app);
        Web.WebUiEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}
