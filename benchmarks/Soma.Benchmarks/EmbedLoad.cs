using System.Diagnostics;
using System.Globalization;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;

namespace Soma.Benchmarks;

/// <summary>
/// Throughput of the in-process embedder (`dotnet run -c Release -- embed [model] [batch] [threads]`; defaults
/// all-minilm-l6-v2, 32, the processor count) on dialog-length texts (15–45 words, like chat turns), through the real
/// <see cref="Embedder"/> and its queue: a drain (one caller handing over 64 texts at a time, as the embedding worker
/// does), many single-text callers at once (coalesced into batches by the queue), against two baselines in the same
/// run: the package's encoder called directly with the same batches (no queue), and one text per inference. Then recall-query latency while a drain keeps the model busy (queries go first). Prints a table.
/// </summary>
public static class EmbedLoad
{
    private const int Texts = 1024;
    private const int DrainChunk = 64;

    private static readonly string[] Words =
    [
        "we", "talked", "about", "the", "trip", "to", "Lisbon", "next", "month", "and", "my", "daughter", "wants", "to", "see",
        "the", "aquarium", "I", "should", "book", "a", "table", "for", "dinner", "on", "Friday", "the", "dentist", "called",
        "again", "can", "you", "remind", "me", "to", "pay", "the", "invoice", "for", "the", "roof", "repair", "before",
        "the", "end", "of", "the", "week", "our", "team", "plans", "the", "release", "after", "the", "meeting", "with",
        "the", "client", "who", "asked", "about", "pricing", "and", "support", "hours", "grandma", "sent", "her", "recipe",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var model = InProcessModels.Find(args.Length > 1 ? args[1] : InProcessModels.MiniLmId)
            ?? throw new ArgumentException($"unknown model; known: {string.Join(", ", InProcessModels.Ids)}");
        var batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var random = new Random(42);
        var texts = Enumerable.Range(0, Texts).Select(_ => Dialog(random)).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model {model.Profile.Model}, batch {batch}, threads {threads}, {Texts} texts of {texts.Average(t => t.Split(' ').Length):F0} words on average, {Environment.ProcessorCount} cores"));

        using var embedder = new Embedder(new InProcessEmbeddingGenerator(model, threads, batch, queueCapacity: 4096, TimeSpan.FromMinutes(10)), model.Profile);
        var load = Stopwatch.StartNew();
        await embedder.EmbedAsync(["warm up"], EmbeddingPurpose.Document);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model load and first text: {load.ElapsedMilliseconds} ms"));
        await embedder.EmbedAsync(texts[..64], EmbeddingPurpose.Document);

        var rows = new List<(string What, double TextsPerSecond)>
        {
            ("drain: one caller, 64 texts per call", await RateAsync(async () =>
            {
                for (var i = 0; i < texts.Length; i += DrainChunk)
                {
                    await embedder.EmbedAsync(texts[i..Math.Min(texts.Length, i + DrainChunk)], EmbeddingPurpose.Document);
                }
            })),
            ("single-text callers, all at once (coalesced)", await RateAsync(() =>
                Task.WhenAll(texts.Select(t => embedder.EmbedAsync([t], EmbeddingPurpose.Document))))),
        };

        // The baseline: the package's encoder called directly, batches of the same size, no queue and no normalisation of ours.
        using (var session = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var encoder = model.Load(session);
            encoder.Encode(texts[..batch], default);
            rows.Insert(0, ($"baseline: the encoder itself, batches of {batch}, no queue", await RateAsync(() =>
            {
                for (var i = 0; i < texts.Length; i += batch)
                {
                    encoder.Encode(texts[i..Math.Min(texts.Length, i + batch)], default);
                }

                return Task.CompletedTask;
            })));
            (encoder as IDisposable)?.Dispose();
        }

        using (var single = new Embedder(new InProcessEmbeddingGenerator(model, threads, 1, 4096, TimeSpan.FromMinutes(10)), model.Profile))
        {
            await single.EmbedAsync(["warm up"], EmbeddingPurpose.Document);
            rows.Add(("baseline: batch 1, one caller", await RateAsync(async () =>
            {
                foreach (var text in texts[..256])
                {
                    await single.EmbedAsync([text], EmbeddingPurpose.Document);
                }
            }, 256)));
        }

        Console.WriteLine();
        Console.WriteLine("| run | texts/s |");
        Console.WriteLine("|---|---|");
        foreach (var (what, rate) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {rate:F0} |"));
        }

        // Query latency alone, then while a drain of every text (in 64-text calls, all handed over at once) runs.
        var idle = await QueryLatenciesAsync(embedder, random, 50);
        var drain = Task.WhenAll(Enumerable.Range(0, Texts / DrainChunk).Select(i => embedder.EmbedAsync(texts[(i * DrainChunk)..((i + 1) * DrainChunk)], EmbeddingPurpose.Document)));
        var busy = await QueryLatenciesAsync(embedder, random, 50);
        await drain;
        Console.WriteLine();
        Console.WriteLine("| recall query | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (what, latency) in new[] { ("idle model", idle), ("during a drain", busy) })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {latency.P50:F1} | {latency.P99:F1} | {latency.Max:F1} |"));
        }

        return 0;
    }

    private static async Task<double> RateAsync(Func<Task> run, int count = Texts)
    {
        var watch = Stopwatch.StartNew();
        await run();
        return count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<LatencySummary> QueryLatenciesAsync(Embedder embedder, Random random, int count)
    {
        var latencies = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var query = "what did I say about " + string.Join(' ', Enumerable.Range(0, 4).Select(_ => Words[random.Next(Words.Length)])) + "?";
            var watch = Stopwatch.StartNew();
            await embedder.EmbedAsync([query], EmbeddingPurpose.Query);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        return LatencySummary.Of(latencies);
    }

    private static string Dialog(Random random) =>
        string.Join(' ', Enumerable.Range(0, random.Next(15, 46)).Select(_ => Words[random.Next(Words.Length)])) + ".";
}
