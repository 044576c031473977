namespace Soma.Core.Health;

/// <summary>The health of one component at one moment.</summary>
/// <param name="Name">The component's stable name, e.g. <c>store</c> or <c>outbox</c>.</param>
/// <param name="Status">Normal, degraded or down.</param>
/// <param name="Details">Facts an operator can act on (engine, latency, depth …); never secrets.</param>
public sealed record ComponentHealth(string Name, HealthStatus Status, IReadOnlyDictionary<string, object?> Details);
