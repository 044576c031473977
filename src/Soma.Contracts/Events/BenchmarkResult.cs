namespace Soma.Contracts.Events;

/// <summary><c>agent.benchmarks.v1</c> <c>benchmark.result</c>: One measured benchmark figure.</summary>
/// <param name="Benchmark">Benchmark name.</param>
/// <param name="Metric">What was measured.</param>
/// <param name="Value">The value.</param>
/// <param name="Unit">Unit of the value.</param>
/// <param name="Machine">Where it was measured.</param>
/// <param name="Baseline">Baseline value from the same run.</param>
/// <param name="Ratio">Value divided by the baseline.</param>
public sealed record BenchmarkResult(string Benchmark, string Metric, double Value, string Unit, MachineInfo Machine, double? Baseline = null, double? Ratio = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Benchmarks;

    /// <inheritdoc />
    public static string EventType => "benchmark.result";
}
