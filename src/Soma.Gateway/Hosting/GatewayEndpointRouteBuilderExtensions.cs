using Microsoft.AspNetCore.Builder;
using Soma.Gateway.Health;
using Soma.Gateway.Runs;
using Soma.Gateway.Sessions;

namespace Soma.Gateway.Hosting;

/// <summary>Maps the gateway's middleware and endpoints.</summary>
public static class GatewayEndpointRouteBuilderExtensions
{
    /// <summary>Adds error handling, authentication and every gateway endpoint to <paramref name="app"/>.</summary>
    public static WebApplication MapSomaGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        HealthEndpoints.Map(app);
        SessionEndpoints.Map(app);
        MessageEndpoints.Map(app);
        SessionEventStream.Map(app);
        Usage.UsageEndpoints.Map(app);
        Memory.MemoryEndpoints.Map(app);
        RunEndpoints.Map(app);
        Web.WebUiEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        // Metrics span every tenant (outbox depth is labelled by tenant): operators only.
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(policy => policy.RequireClaim(Auth.SomaClaims.Roles, "admin"));
        return app;
    }
}
