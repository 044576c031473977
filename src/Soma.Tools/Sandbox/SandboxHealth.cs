using Soma.Core.Health;

namespace Soma.Tools.Sandbox;

/// <summary>
/// The <c>sandbox</c> component of <c>/v1/health</c>: each profile, whether it can run here and what it enforces.
/// Degraded when the default profile cannot run (the sandboxed tools refuse every call, naming why).
/// </summary>
/// <param name="sandboxes">The registered profiles.</param>
/// <param name="options"><c>Soma:Sandbox</c>.</param>
public sealed class SandboxHealth(ToolSandboxes sandboxes, Microsoft.Extensions.Options.IOptions<SandboxOptions> options) : IHealthReporter
{
    /// <inheritdoc />
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var details = new Dictionary<string, object?> { ["default_profile"] = options.Value.DefaultProfile };
        var healthy = true;
        foreach (var sandbox in sandboxes.All)
        {
            var availability = sandbox.Availability;
            details[sandbox.Name] = availability.Available ? string.Join(",", availability.Features) : "unavailable: " + availability.Problem;
            healthy &= availability.Available || sandbox.Name != options.Value.DefaultProfile;
        }

        return Task.FromResult(new ComponentHealth("sandbox", healthy ? HealthStatus.Normal : HealthStatus.Degraded, details));
    }
}
