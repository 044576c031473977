namespace Soma.Core.Health;

/// <summary>A component that can report its own health; every registered reporter appears in <c>/v1/health</c>.</summary>
public interface IHealthReporter
{
    /// <summary>Checks the component now. Implementations bound their own time and never throw for an unhealthy component.</summary>
    Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}
