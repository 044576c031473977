using Soma.Core.Health;

namespace Soma.Tools.Mcp;

/// <summary>
/// The <c>mcp</c> component of <c>/v1/health</c>: each enabled server's state and tool count, and why a server is down.
/// Degraded while a server is not connected (its tools answer <c>mcp.unavailable</c>); never down, since the rest of the
/// platform works without it.
/// </summary>
internal sealed class McpHealth(McpServers servers) : IHealthReporter
{
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var details = new Dictionary<string, object?>();
        var healthy = true;
        foreach (var server in servers.Status)
        {
            healthy &= server.State == McpServerState.Connected;
            details[server.Name] = server.State switch
            {
                McpServerState.Connected => $"connected ({server.Transport}, {server.Tools} tools)",
                McpServerState.Connecting => $"connecting ({server.Transport})",
                _ => $"unavailable ({server.Transport}): {server.Problem}",
            };
        }

        return Task.FromResult(new ComponentHealth("mcp", healthy ? HealthStatus.Normal : HealthStatus.Degraded, details));
    }
}
