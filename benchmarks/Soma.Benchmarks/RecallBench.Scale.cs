using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Service;

namespace Soma.Benchmarks;

public static partial class RecallBench
{
    private const int FillBatch = 1000;
    private const int WarmUpQueries = 60;

    // Noise per component of a reused filler vector: a unit vector of 384 components has components of about 0.05, so
    // the copy keeps a cosine of about 0.93 with its original.
    private const double FillerNoise = 0.02;

    /// <summary>
    /// Fills one namespace to <see cref="RecallBenchOptions.Scale"/> memories (the dataset's turns, then filler) with
    /// their vectors, and measures cold recall latency per mode against text mode, the query embedding alone, and the
    /// managed heap's growth once the vectors are searchable.
    /// </summary>
    internal static async Task<ScaleLatency> MeasureScaleAsync(
        IServiceProvider services, MemoryService service, RecallVectors vectors, RecallDataset dataset, RecallBenchOptions options)
    {
        var heapBefore = FullGcHeap();
        var fillStarted = Stopwatch.GetTimestamp();
        var embedded = await FillAsync(services.GetRequiredService<IMemoryStore>(), vectors, dataset, options);
        await vectors.CompleteAsync();
        var fillSeconds = Stopwatch.GetElapsedTime(fillStarted).TotalSeconds;

        var queries = ScaleQueries(dataset);
        var warmUp = dataset.Questions.Take(WarmUpQueries).Select(q => $"Remind me: {q.Question}").ToArray();
        var modes = vectors.Available ? Modes : [RecallModes.Text];
        foreach (var mode in modes)
        {
            await RecallLatencyAsync(service, mode, warmUp);
        }

        var heapAfter = FullGcHeap();
        var rows = new List<(string Name, LatencySummary Latency)>();
        foreach (var mode in modes)
        {
            rows.Add((mode, await RecallLatencyAsync(service, mode, queries)));
        }

        if (vectors is { Available: true, Embedder: { } embedder })
        {
            rows.Add(("query-embedding", await EmbeddingLatencyAsync(embedder, queries)));
        }

        var baseline = rows[0].Latency;
        return new ScaleLatency(
            options.Scale,
            embedded,
            Math.Round(fillSeconds, 1),
            [.. rows.Select(r => new LatencyRow(
                r.Name, r.Latency.Count, Math.Round(r.Latency.P50, 3), Math.Round(r.Latency.P90, 3), Math.Round(r.Latency.P99, 3), Math.Round(r.Latency.Max, 3),
                baseline.P99 > 0 ? Math.Round(r.Latency.P99 / baseline.P99, 3) : 0))],
            RecallModes.Text,
            heapAfter - heapBefore,
            (long)options.Scale * (vectors.Embedder?.Dimensions ?? 0) * sizeof(float));
    }

    // The dataset's questions, each in three wordings (at least 500 distinct queries, so no answer can come from a
    // cache and every query is embedded anew).
    internal static string[] ScaleQueries(RecallDataset dataset)
    {
        var firstNames = dataset.Personas.ToDictionary(p => p.Id, p => p.Name.Split(' ')[0]);
        return
        [
            .. dataset.Questions.Select(q => q.Question),
            .. dataset.Questions.Select(q => $"Hey, {q.Question}"),
            .. dataset.Questions.Select(q => $"{firstNames[q.Persona]} here. {q.Question}"),
        ];
    }

    // Returns how many distinct filler texts were embedded with the real model.
    private static async Task<int> FillAsync(IMemoryStore store, RecallVectors vectors, RecallDataset dataset, RecallBenchOptions options)
    {
        var filler = new RecallFiller(seed: 16);
        var turns = dataset.Turns.Take(options.Scale).Select(t => (Key: t.Turn.Id, Value: TurnValue(t.Session, t.Turn), Text: $"{t.Turn.Speaker}: {t.Turn.Text}")).ToList();
        var fillerCount = options.Scale - turns.Count;
        var distinct = Math.Min(options.EmbedFiller, fillerCount);
        var fillerTexts = Enumerable.Range(0, fillerCount).Select(_ => filler.Next()).ToArray();

        // Real vectors for the dataset's turns and the first filler texts; the rest of the filler reuses those with noise.
        var real = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[][] distinctVectors = [];
        if (vectors is { Available: true, Embedder: { } embedder })
        {
            var turnVectors = await EmbedAllAsync(embedder, [.. turns.Select(t => t.Text)]);
            for (var i = 0; i < turns.Count; i++)
            {
                real[turns[i].Key] = turnVectors[i];
            }

            distinctVectors = await EmbedAllAsync(embedder, fillerTexts[..distinct]);
        }

        float[]? VectorOf(string key)
        {
            if (real.TryGetValue(key, out var vector))
            {
                return vector;
            }

            if (distinctVectors.Length == 0 || !key.StartsWith("fill-", StringComparison.Ordinal))
            {
                return null;
            }

            var index = int.Parse(key.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
            return index < distinctVectors.Length ? distinctVectors[index] : filler.Near(distinctVectors[index % distinctVectors.Length], FillerNoise);
        }

        var items = turns.Select(t => (t.Key, t.Value))
            .Concat(fillerTexts.Select((text, i) => (Key: $"fill-{i:D7}", Value: JsonSerializer.SerializeToElement(new Dictionary<string, string>
            {
                ["text"] = text,
                ["session"] = $"fill-s{i / 40}",
                ["date"] = DateOnly.FromDayNumber(new DateOnly(2024, 1, 1).DayNumber + (i / 40 % 900)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            }))));
        long afterId = 0;
        foreach (var batch in items.Chunk(FillBatch))
        {
            await store.UpsertAsync(ScaleTenant, ScaleNamespace, [.. batch.Select(b => new RememberItem(b.Key, b.Value))], DateTimeOffset.UtcNow);
            if (vectors is { Available: true, Store: { } vectorStore, Embedder: { } model })
            {
                // The memories just written that have no vector yet (the server's embedding pass may have taken some).
                IReadOnlyList<PendingEmbedding> missing;
                while ((missing = await vectorStore.ReadMissingAsync(model.Model, ScaleTenant, afterId, FillBatch)).Count > 0)
                {
                    afterId = missing[^1].MemoryId;
                    var save = missing
                        .Where(p => p.Namespace == ScaleNamespace)
                        .Select(p => VectorOf(p.Key) is { } v ? new MemoryVector(p.MemoryId, p.Version, model.Model, v) : null)
                        .OfType<MemoryVector>()
                        .ToList();
                    await vectorStore.SaveAsync(save, DateTimeOffset.UtcNow, dequeue: true);
                }
            }
        }

        return distinctVectors.Length;
    }

    private static async Task<float[][]> EmbedAllAsync(IEmbedder embedder, IReadOnlyList<string> texts)
    {
        var vectors = new List<float[]>(texts.Count);
        foreach (var chunk in texts.Chunk(64))
        {
            vectors.AddRange(await embedder.EmbedAsync(chunk, EmbeddingPurpose.Document));
        }

        return [.. vectors];
    }

    private static async Task<LatencySummary> RecallLatencyAsync(MemoryService service, string mode, IReadOnlyList<string> queries)
    {
        var latencies = new List<double>(queries.Count);
        foreach (var query in queries)
        {
            var started = Stopwatch.GetTimestamp();
            await service.RecallAsync(new RecallRequest(query, ScaleTenant, ScaleNamespace, TopK: 10) { Mode = mode });
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return LatencySummary.Of(latencies);
    }

    // What every vector recall pays before it searches: the query's embedding (distinct wording again, so nothing is cached).
    private static async Task<LatencySummary> EmbeddingLatencyAsync(IEmbedder embedder, IReadOnlyList<string> queries)
    {
        var latencies = new List<double>(queries.Count);
        foreach (var query in queries)
        {
            var started = Stopwatch.GetTimestamp();
            await embedder.EmbedAsync([$"Quick one: {query}"], EmbeddingPurpose.Query);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return LatencySummary.Of(latencies);
    }

    private static long FullGcHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Texts per second of the embedder over the dataset's turns at its batch size, and one at a time.</summary>
    internal static async Task<EmbeddingThroughput> MeasureThroughputAsync(IEmbedder embedder, RecallDataset dataset, int batchSize)
    {
        var texts = dataset.Turns.Select(t => $"{t.Turn.Speaker}: {t.Turn.Text}").ToArray();

        // Warm-up: the model's first calls allocate its buffers.
        await embedder.EmbedAsync(texts[..Math.Min(batchSize, texts.Length)], EmbeddingPurpose.Document);
        var started = Stopwatch.GetTimestamp();
        foreach (var chunk in texts.Chunk(batchSize))
        {
            await embedder.EmbedAsync(chunk, EmbeddingPurpose.Document);
        }

        var batched = texts.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var singles = texts.Take(100).ToArray();
        started = Stopwatch.GetTimestamp();
        foreach (var text in singles)
        {
            await embedder.EmbedAsync([text], EmbeddingPurpose.Document);
        }

        var single = singles.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new EmbeddingThroughput(texts.Length, batchSize, Math.Round(batched, 1), Math.Round(single, 1));
    }
}
