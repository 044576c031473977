using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Service;
using Soma.Memory.Vectors;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The retrieval benchmark (`dotnet run -c Release -- recall [--engine sqlite|postgres] [--model ID] [--fusion rrf|weighted]
/// [--text-weight W] [--scale N] [--embed-filler N] [--out FILE] [--smoke]`), on the shipped dataset (<see cref="RecallDataset"/>,
/// <c>Data/README.md</c>) and the real server in this process (<c>soma serve --roles memory</c>: the memory service over
/// the real store, the embedder and the embedding pass as configured):
/// <list type="number">
/// <item>Quality: every turn is remembered through <see cref="MemoryService"/> (one namespace per persona); when every
/// memory has its vector, every question is asked in modes <c>text</c>, <c>vector</c> and <c>hybrid</c> and scored by
/// recall@5 and recall@10 of its evidence turns (<see cref="RecallMetrics"/>), with hybrid/text as a ratio.</item>
/// <item>Embedding throughput of the configured <see cref="IEmbedder"/> over the dataset's turns at its batch size.</item>
/// <item>Latency at scale (not in smoke mode): one namespace filled to <c>--scale</c> memories (the dataset's turns
/// plus generated filler), then ≥ 500 distinct (cold) questions per mode straight to <see cref="MemoryService"/> (no
/// recall cache): p50/p99, with text mode as the baseline of the same run, and the growth of the managed heap once the
/// vectors are loaded (the in-memory vector index).</item>
/// </list>
/// Prints tables and writes one JSON report (<see cref="RecallReport"/>) to <c>--out</c>. Exit 0 on a complete run, 2 on a
/// bad command line.
/// </summary>
public static partial class RecallBench
{
    /// <summary>The tenant whose namespaces (one per persona) hold the dataset.</summary>
    internal const string Tenant = "recall-bench";

    /// <summary>The tenant of the latency namespace.</summary>
    internal const string ScaleTenant = "recall-scale";

    /// <summary>The namespace filled to <c>--scale</c>.</summary>
    internal const string ScaleNamespace = "scale";

    internal const string Usage =
        "recall [--engine sqlite|postgres] [--model all-minilm-l6-v2|arctic-embed-xs] [--fusion rrf|weighted] [--text-weight W] [--scale N] [--embed-filler N] [--out FILE] [--smoke]";

    internal static readonly string[] Modes = [RecallModes.Text, RecallModes.Vector, RecallModes.Hybrid];

    private static readonly JsonSerializerOptions ReportJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (RecallBenchOptions.Parse(args, Console.Error) is not { } options)
        {
            return 2;
        }

        var dataset = RecallDataset.Load(options.DatasetPath);
        if (dataset.Problems() is { Count: > 0 } problems)
        {
            await Console.Error.WriteLineAsync($"recall: {options.DatasetPath} is not sound: {string.Join("; ", problems)}");
            return 1;
        }

        await using var postgres = options.Engine == "postgres" ? await PostgresServer.StartAsync() : null;
        var configuration = new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "memory",
        };
        if (postgres is not null)
        {
            configuration["Soma:Store:Provider"] = "postgres";
            configuration["Soma:Store:Postgres:ConnectionString"] = await postgres.CreateDatabaseAsync();
        }
        else
        {
            configuration["Soma:Store:Provider"] = "sqlite";
            configuration["Soma:Store:Sqlite:Synchronous"] = "Full";
        }

        if (options.Model is { } model)
        {
            configuration[ModelKey] = model;
        }

        if (options.Fusion is { } fusion)
        {
            configuration[$"{MemoryRecallOptions.SectionName}:{nameof(MemoryRecallOptions.Fusion)}"] = fusion;
        }

        if (options.TextWeight is { } weight)
        {
            configuration[$"{MemoryRecallOptions.SectionName}:{nameof(MemoryRecallOptions.TextWeight)}"] = weight.ToString(CultureInfo.InvariantCulture);
        }

        await using var server = await BenchServer.StartAsync(configuration);
        var vectors = RecallVectors.From(server.Services);
        var service = server.Services.GetRequiredService<MemoryService>();

        var quality = await MeasureQualityAsync(service, vectors, dataset);
        var throughput = vectors is { Available: true, Embedder: { } embedder }
            ? await MeasureThroughputAsync(embedder, dataset, server.Services.GetRequiredService<IOptions<VectorOptions>>().Value.BatchSize)
            : null;
        var recall = server.Services.GetRequiredService<IOptions<MemoryRecallOptions>>().Value;
        var scale = options.Smoke ? null : await MeasureScaleAsync(server.Services, service, vectors, dataset, options);

        var report = new RecallReport(
            "recall",
            options.Smoke ? "smoke" : "full",
            options.Engine,
            vectors.Available ? vectors.Embedder!.Model : null,
            new RecallFusion(recall.Fusion, recall.TextWeight, recall.RrfK, recall.Candidates),
            new RecallDatasetSummary(dataset.Name, dataset.Version, dataset.Personas.Count, dataset.Sessions.Count, dataset.Turns.Count(), dataset.Questions.Count),
            quality,
            throughput,
            scale,
            SandboxBench.Machine(),
            SandboxBench.LoadAverage());
        Print(report);
        var output = Path.GetFullPath(options.Output);
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(report, ReportJson));
        Console.WriteLine($"report: {output}");
        return 0;
    }

    /// <summary>The configuration key of the embedding model (<c>AddSomaEmbeddings</c>).</summary>
    internal const string ModelKey = "Soma:Memory:Embeddings:Model";

    /// <summary>What a turn is stored as: its text with the speaker, its session and day.</summary>
    internal static JsonElement TurnValue(RecallSession session, RecallTurn turn) =>
        JsonSerializer.SerializeToElement(new Dictionary<string, string>
        {
            ["text"] = $"{turn.Speaker}: {turn.Text}",
            ["session"] = session.Id,
            ["date"] = session.Date,
        });
}
