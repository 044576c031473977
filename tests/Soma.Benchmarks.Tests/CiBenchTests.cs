using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Soma.Contracts.Events;
using Soma.Contracts.Schemas;
using Soma.Core.Messaging;
using Soma.Testing;

namespace Soma.Benchmarks.Tests;

/// <summary>
/// The benchmark job of <c>./test.sh</c> (<c>Soma.Benchmarks ci --smoke</c>, docs/operations/benchmarks.md): what it emits,
/// where, and that a figure it cannot stand behind stops it.
/// </summary>
public sealed class CiBenchTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new("soma-ci-bench");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task The_smoke_run_emits_one_valid_event_per_figure_with_its_baseline_to_the_file_and_to_the_NATS_bus()
    {
        await using var nats = await NatsServer.StartNewAsync();
        var output = Path.Combine(_work.Path, "results.jsonl");

        var code = await CiBench.RunAsync(["ci", "--smoke", "--out", output, "--nats", nats.Url]);

        Assert.Equal(0, code);
        var lines = await File.ReadAllLinesAsync(output);
        var validator = new EventValidator(SchemaRegistry.Default);
        var figures = new List<(string Benchmark, string Metric)>();
        foreach (var line in lines)
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var validation = validator.Validate(root);
            Assert.True(validation.IsValid, $"{line}\n{string.Join("; ", validation.Errors)}");
            Assert.Equal(SchemaNames.Benchmarks, root.GetProperty("schema").GetString());
            Assert.Equal("benchmark.result", root.GetProperty("type").GetString());
            var data = root.GetProperty("data");
            var value = data.GetProperty("value").GetDouble();
            var baseline = data.GetProperty("baseline").GetDouble();
            var ratio = data.GetProperty("ratio").GetDouble();
            Assert.True(baseline > 0, $"no positive baseline: {line}");
            Assert.Equal(value / baseline, ratio, 0.01 * Math.Max(1, ratio));
            figures.Add((data.GetProperty("benchmark").GetString()!, data.GetProperty("metric").GetString()!));
        }

        // The fixed set: ingest, first delta and policy, each with two figures.
        Assert.Equal(
            [
                ("ingest.sqlite_full", "p99_latency"), ("ingest.sqlite_full", "requests_per_second"),
                ("policy.embedded_rego", "decisions_per_second"), ("policy.embedded_rego", "p99_latency"),
                ("turn.first_delta", "p50_latency"), ("turn.first_delta", "p99_latency"),
            ],
            figures.Order());

        // Every line is on the bus, as the same bytes, under the events' own ids: read back with the NATS bus adapter.
        var expected = lines.ToDictionary(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetGuid());
        await using var provider = NatsBus(nats.Url);
        var bus = provider.GetRequiredService<IEventBus>();
        var received = new Dictionary<Guid, string>();
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var delivery in bus.SubscribeAsync(new BusSubscription(EventSubjects.For("bench", SchemaNames.Benchmarks)), timeout.Token))
        {
            received[delivery.Id] = Encoding.UTF8.GetString(delivery.Payload.Span);
            await delivery.AckAsync(timeout.Token);
            if (received.Count == expected.Count)
            {
                break;
            }
        }

        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task A_figure_that_is_not_a_number_or_lacks_its_baseline_stops_the_run_with_an_error_naming_it_and_is_neither_published_nor_written()
    {
        var bus = new InProcessEventBus(TimeProvider.System);
        var output = Path.Combine(_work.Path, "results.jsonl");
        var emitter = new BenchmarkEmitter(bus, output);
        var machine = SandboxBench.Machine();

        await emitter.EmitAsync(CiBench.Figure("ingest.sqlite_full", "requests_per_second", 900, "req/s", 3000, machine));
        var nan = await Assert.ThrowsAsync<InvalidBenchmarkFigureException>(() =>
            emitter.EmitAsync(CiBench.Figure("ingest.sqlite_full", "p99_latency", double.NaN, "ms", 2, machine)));
        Assert.Equal("benchmark figure 'ingest.sqlite_full p99_latency': its value is NaN, not a finite number; nothing was published or written for it.", nan.Message);

        // A driver that measured nothing as its baseline: 0, and a ratio of infinity.
        var noBaseline = await Assert.ThrowsAsync<InvalidBenchmarkFigureException>(() =>
            emitter.EmitAsync(CiBench.Figure("policy.embedded_rego", "decisions_per_second", 8000, "decisions/s", 0, machine)));
        Assert.Contains("its baseline is 0: every figure needs a positive baseline measured in the same run", noBaseline.Message, StringComparison.Ordinal);

        Assert.Single(await File.ReadAllLinesAsync(output));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var published = new List<Guid>();
        try
        {
            await foreach (var delivery in bus.SubscribeAsync(new BusSubscription(EventSubjects.For("bench", SchemaNames.Benchmarks)), timeout.Token))
            {
                published.Add(delivery.Id);
                await delivery.AckAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Read all the bus holds.
        }

        Assert.Single(published);
    }

    [Fact]
    public async Task An_unknown_option_is_refused_with_exit_2()
    {
        Assert.Equal(2, await CiBench.RunAsync(["ci", "--smok"]));
    }

    private static ServiceProvider NatsBus(string url)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Soma:Bus:Nats:Url"] = url }).Build());
        services.AddLogging();
        services.AddNatsEventBus();
        return services.BuildServiceProvider();
    }
}
