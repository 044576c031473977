using System.Text;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Contracts.Schemas;
using Soma.Core.Messaging;

namespace Soma.Benchmarks;

/// <summary>
/// Turns each figure of a benchmark run into one <c>agent.benchmarks.v1</c> <c>benchmark.result</c> event: checked (a
/// finite value, a baseline measured in the same run and the ratio to it), validated against the schema, published to the
/// bus (<c>soma.{tenant}.agent.benchmarks.v1</c>, the event id as message id) and appended to a JSON-lines file, in that
/// order. A figure that fails a check is neither published nor written: the run stops with
/// <see cref="InvalidBenchmarkFigureException"/> naming the figure and the problem.
/// </summary>
public sealed class BenchmarkEmitter(IEventBus bus, string path, string tenant = BenchmarkEmitter.DefaultTenant)
{
    /// <summary>The tenant the events are published under.</summary>
    public const string DefaultTenant = "bench";

    private readonly EventValidator _validator = new(SchemaRegistry.Default);
    private readonly UuidV7Generator _ids = new(TimeProvider.System);
    private EventContext? _context;

    /// <summary>The events emitted so far, as written.</summary>
    public List<string> Lines { get; } = [];

    /// <summary>Checks, validates, publishes and writes one figure.</summary>
    /// <exception cref="InvalidBenchmarkFigureException">The figure is not a finite value with a baseline and a ratio, or its event does not validate.</exception>
    public async Task EmitAsync(BenchmarkResult figure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var name = $"{figure.Benchmark} {figure.Metric}";
        Require(double.IsFinite(figure.Value), name, $"its value is {figure.Value}, not a finite number");
        Require(figure.Baseline is { } baseline && double.IsFinite(baseline) && baseline > 0, name, $"its baseline is {Text(figure.Baseline)}: every figure needs a positive baseline measured in the same run");
        Require(figure.Ratio is { } ratio && double.IsFinite(ratio) && ratio >= 0, name, $"its ratio is {Text(figure.Ratio)}, not a finite number ≥ 0");

        // One run id for every figure of the run: the events' request id.
        _context ??= EventContext.FromActivity(null, tenant, "soma/benchmarks", _ids.NewId().ToString());
        var envelope = _context.Create(figure, _ids, TimeProvider.System);
        var json = EventJson.Serialize(envelope);
        using (var document = JsonDocument.Parse(json))
        {
            var validation = _validator.Validate(document.RootElement);
            Require(validation.IsValid, name, $"its event is not a valid {SchemaNames.Benchmarks} event: {string.Join("; ", validation.Errors)}");
        }

        await bus.PublishAsync(new BusMessage(envelope.Id, EventSubjects.For(tenant, SchemaNames.Benchmarks), Encoding.UTF8.GetBytes(json)), cancellationToken).ConfigureAwait(false);
        await File.AppendAllTextAsync(path, json + "\n", cancellationToken).ConfigureAwait(false);
        Lines.Add(json);
    }

    private static string Text(double? value) => value is null ? "missing" : value.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Require(bool condition, string figure, string problem)
    {
        if (!condition)
        {
            throw new InvalidBenchmarkFigureException($"benchmark figure '{figure}': {problem}; nothing was published or written for it.");
        }
    }
}
