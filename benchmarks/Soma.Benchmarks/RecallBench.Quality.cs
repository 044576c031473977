using System.Diagnostics;
using Soma.Core.Memory;
using Soma.Memory.Service;

namespace Soma.Benchmarks;

public static partial class RecallBench
{
    // Long enough for a service whose vector index catches up on a timer.
    private static readonly TimeSpan IndexPatience = TimeSpan.FromSeconds(60);

    /// <summary>Remembers every turn, waits for the vectors, asks every question in every mode and scores recall@5/@10.</summary>
    internal static async Task<RecallQuality> MeasureQualityAsync(MemoryService service, RecallVectors vectors, RecallDataset dataset)
    {
        foreach (var persona in dataset.Personas)
        {
            var items = dataset.Turns
                .Where(t => t.Session.Persona == persona.Id)
                .Select(t => new RememberItem(t.Turn.Id, TurnValue(t.Session, t.Turn), [$"session:{t.Session.Id}"]))
                .ToList();
            foreach (var chunk in items.Chunk(MemoryService.MaxBatchItems))
            {
                await service.RememberBatchAsync(new RememberBatchRequest(Tenant, persona.Id, chunk));
            }
        }

        var (by, waited) = await vectors.CompleteAsync();
        var stored = vectors is { Store: { } store, Embedder: { } embedder }
            ? (await store.CoverageAsync(embedder.Model, Tenant)).Current
            : 0;
        if (by != "none")
        {
            await AwaitVectorIndexAsync(service, dataset);
        }

        var evidence = dataset.Questions.Select(q => (IReadOnlyCollection<string>)q.Evidence).ToList();
        var ranked = new Dictionary<string, List<IReadOnlyList<string>>>();
        var withoutMatch = 0;
        foreach (var mode in Modes)
        {
            var answers = new List<IReadOnlyList<string>>(dataset.Questions.Count);
            foreach (var question in dataset.Questions)
            {
                var response = await service.RecallAsync(new RecallRequest(question.Question, Tenant, question.Persona, TopK: 10) { Mode = mode });
                answers.Add([.. response.Results.Select(r => r.Key)]);
                withoutMatch += mode == RecallModes.Text ? 0 : response.Results.Count(r => r.Match is null);
            }

            ranked[mode] = answers;
        }

        var scores = Modes.Select(mode => RecallMetrics.Score(mode, [.. ranked[mode].Zip(evidence)])).ToList();
        var text = scores[0];
        var hybrid = scores[2];
        return new RecallQuality(
            scores,
            Ratio(hybrid.RecallAt10, text.RecallAt10),
            Ratio(hybrid.RecallAt5, text.RecallAt5),
            RecallMetrics.FoundOnlyBy(ranked[RecallModes.Hybrid], ranked[RecallModes.Text], evidence, 10),
            RecallMetrics.FoundOnlyBy(ranked[RecallModes.Text], ranked[RecallModes.Hybrid], evidence, 10),
            stored,
            Math.Round(waited, 2),
            by,
            withoutMatch);
    }

    // The vectors are stored; the service's in-memory index may load them a little later. Every persona's namespace
    // answers a vector recall of one of its own questions before the questions are asked.
    private static async Task AwaitVectorIndexAsync(MemoryService service, RecallDataset dataset)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var persona in dataset.Personas)
        {
            var probe = dataset.Questions.First(q => q.Persona == persona.Id).Question;
            while ((await service.RecallAsync(new RecallRequest(probe, Tenant, persona.Id, TopK: 1) { Mode = RecallModes.Vector })).Results.Count == 0)
            {
                if (Stopwatch.GetElapsedTime(started) > IndexPatience)
                {
                    throw new InvalidOperationException(
                        $"Every memory has its vector, but a vector recall in namespace '{persona.Id}' still finds nothing after {IndexPatience.TotalSeconds:F0} s.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private static double Ratio(double value, double baseline) => baseline > 0 ? Math.Round(value / baseline, 3) : 0;
}
