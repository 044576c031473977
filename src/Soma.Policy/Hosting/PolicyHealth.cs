using Soma.Core.Health;
using Soma.Core.Policy;
using Soma.Policy.Engines;

namespace Soma.Policy.Hosting;

/// <summary>
/// The <c>policy</c> component of <c>/v1/health</c>: the engine and the version deciding now (so several processes can
/// be seen to converge), degraded while the last change to the policy folder failed to load (with its first errors).
/// </summary>
internal sealed class PolicyHealth(IPolicyEngine engine, PolicyReloader? reloader = null) : IHealthReporter
{
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var inner = engine is PolicyNode node ? node.Engine : engine;
        var details = new Dictionary<string, object?> { ["engine"] = inner.Name };
        if (inner is not RegoPolicyEngine rego)
        {
            return Task.FromResult(new ComponentHealth("policy", HealthStatus.Normal, details));
        }

        var bundle = rego.Bundle;
        details["version"] = bundle?.Version ?? "none";
        details["loaded_at"] = bundle?.LoadedAt;
        details["files"] = bundle?.Files.Count ?? 0;
        details["tests"] = bundle?.Tests ?? 0;
        if (reloader is not null)
        {
            details["directory"] = reloader.Directory;
        }

        if (bundle is null)
        {
            return Task.FromResult(new ComponentHealth("policy", HealthStatus.Down, details));
        }

        if (reloader?.LastFailure is { } failure)
        {
            details["failed_version"] = failure.Version;
            details["errors"] = failure.Errors.Take(5).ToList();
            return Task.FromResult(new ComponentHealth("policy", HealthStatus.Degraded, details));
        }

        return Task.FromResult(new ComponentHealth("policy", HealthStatus.Normal, details));
    }
}
