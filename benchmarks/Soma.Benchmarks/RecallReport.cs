using System.Text.Json.Serialization;
using Soma.Contracts.Events;

namespace Soma.Benchmarks;

/// <summary>What <see cref="RecallBench"/> writes to <c>--out</c> (snake_case JSON).</summary>
/// <param name="Benchmark">Always <c>recall</c>.</param>
/// <param name="Run"><c>smoke</c> or <c>full</c>.</param>
/// <param name="Engine"><c>sqlite</c> or <c>postgres</c>.</param>
/// <param name="Model">The embedding model, or null when the build has no embedder.</param>
/// <param name="Fusion">The hybrid fusion in effect (<c>Soma:Memory:Recall</c>).</param>
/// <param name="Dataset">The dataset's counts.</param>
/// <param name="Quality">Recall of the evidence turns per mode.</param>
/// <param name="Embedding">Embedding throughput, or null without an embedder.</param>
/// <param name="Scale">Latency at scale, or null in smoke mode.</param>
/// <param name="Machine">Where it ran.</param>
/// <param name="LoadAverage">The machine's load average (1, 5, 15 minutes) at the end of the run: figures from a busy machine are not comparable.</param>
internal sealed record RecallReport(
    string Benchmark,
    string Run,
    string Engine,
    string? Model,
    RecallFusion Fusion,
    RecallDatasetSummary Dataset,
    RecallQuality Quality,
    EmbeddingThroughput? Embedding,
    ScaleLatency? Scale,
    MachineInfo Machine,
    string LoadAverage);

/// <summary>The hybrid fusion in effect (<c>MemoryRecallOptions</c>).</summary>
internal sealed record RecallFusion(string Fusion, double TextWeight, int RrfK, int Candidates);

/// <summary>The dataset's counts.</summary>
internal sealed record RecallDatasetSummary(string Name, int Version, int Personas, int Sessions, int Turns, int Questions);

/// <summary>Recall of the evidence turns.</summary>
/// <param name="Modes">One score per mode: text, vector, hybrid (text only when the build has no vectors).</param>
/// <param name="HybridToTextRecallAt10">Hybrid recall@10 over text recall@10.</param>
/// <param name="HybridToTextRecallAt5">Hybrid recall@5 over text recall@5.</param>
/// <param name="EvidenceFoundByHybridNotText">Evidence turns in hybrid's first 10 that text mode's first 10 lacked.</param>
/// <param name="EvidenceFoundByTextNotHybrid">Evidence turns in text mode's first 10 that hybrid's first 10 lacked.</param>
/// <param name="VectorsStored">Memories of the dataset with a current vector when the questions were asked.</param>
/// <param name="VectorWait">Seconds from the last write until the server's embedding pass had given every memory its vector and the index had loaded them.</param>
/// <param name="Subsets">Recall@10 per mode over kinds of question.</param>
/// <param name="ResultsWithoutMatch">Results of vector and hybrid recalls that did not say why they matched (a service that ignores the mode).</param>
internal sealed record RecallQuality(
    IReadOnlyList<ModeScore> Modes,
    [property: JsonPropertyName("hybrid_to_text_recall_at_10")] double HybridToTextRecallAt10,
    [property: JsonPropertyName("hybrid_to_text_recall_at_5")] double HybridToTextRecallAt5,
    int EvidenceFoundByHybridNotText,
    int EvidenceFoundByTextNotHybrid,
    long VectorsStored,
    double VectorWait,
    int ResultsWithoutMatch,
    IReadOnlyList<SubsetScore> Subsets);

/// <summary>Recall@10 per mode over one kind of question.</summary>
/// <param name="Subset">Which questions.</param>
/// <param name="Questions">How many.</param>
/// <param name="RecallAt10">Mode → mean recall@10 over them.</param>
internal sealed record SubsetScore(
    string Subset, int Questions, [property: JsonPropertyName("recall_at_10")] IReadOnlyDictionary<string, double> RecallAt10);

/// <summary>Embedding throughput of the configured embedder.</summary>
/// <param name="Texts">Texts embedded (the dataset's turns).</param>
/// <param name="BatchSize">Texts per call.</param>
/// <param name="TextsPerSecond">Texts per second.</param>
/// <param name="SingleTextsPerSecond">Texts per second one at a time (a query's case), over the first 100.</param>
internal sealed record EmbeddingThroughput(int Texts, int BatchSize, double TextsPerSecond, double SingleTextsPerSecond);

/// <summary>Recall latency at scale.</summary>
/// <param name="Memories">Memories in the namespace.</param>
/// <param name="FillerTextsEmbedded">Distinct filler texts embedded with the real model; the other filler memories reuse one of their vectors with noise.</param>
/// <param name="FillSeconds">Seconds to write the memories and their vectors.</param>
/// <param name="Rows">One row per mode, and the query embedding alone.</param>
/// <param name="Baseline">The row the ratios are against (text mode).</param>
/// <param name="ManagedHeapGrowthBytes">Growth of the managed heap (full GC before and after) from before the fill to after the vectors were searchable.</param>
/// <param name="RawVectorBytes">Memories × dimensions × 4, for comparison.</param>
internal sealed record ScaleLatency(
    int Memories, int FillerTextsEmbedded, double FillSeconds, IReadOnlyList<LatencyRow> Rows, string Baseline, long ManagedHeapGrowthBytes, long RawVectorBytes);

/// <summary>One latency row.</summary>
/// <param name="Name">The mode, or <c>query-embedding</c>.</param>
/// <param name="Queries">Distinct queries measured.</param>
/// <param name="P50Ms">Median, ms.</param>
/// <param name="P90Ms">90th percentile, ms.</param>
/// <param name="P99Ms">99th percentile, ms.</param>
/// <param name="MaxMs">Slowest, ms.</param>
/// <param name="P99Ratio">p99 over the baseline's p99.</param>
internal sealed record LatencyRow(string Name, int Queries, double P50Ms, double P90Ms, double P99Ms, double MaxMs, double P99Ratio);
