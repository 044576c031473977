using Soma.Core.Memory;
using Soma.Memory.Service;

namespace Soma.Benchmarks;

public static partial class RecallBench
{
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

        var waited = await vectors.CompleteAsync();
        var stored = vectors is { Store: { } store, Embedder: { } embedder }
            ? (await store.CoverageAsync(embedder.Model, Tenant)).Current
            : 0;

        // Without vectors the service refuses mode vector (and hybrid is text): only text is measured.
        var modes = vectors.Available ? Modes : [RecallModes.Text];

        var evidence = dataset.Questions.Select(q => (IReadOnlyCollection<string>)q.Evidence).ToList();
        var ranked = new Dictionary<string, List<IReadOnlyList<string>>>();
        var withoutMatch = 0;
        foreach (var mode in modes)
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

        var scores = modes.Select(mode => RecallMetrics.Score(mode, [.. ranked[mode].Zip(evidence)])).ToList();
        var text = scores[0];
        var hybrid = scores[^1];
        var hybridRanked = ranked.GetValueOrDefault(RecallModes.Hybrid, ranked[RecallModes.Text]);
        var subsets = Subsets
            .Select(subset =>
            {
                var chosen = dataset.Questions.Select((q, i) => (q, i)).Where(x => subset.Includes(x.q)).Select(x => x.i).ToList();
                return new SubsetScore(
                    subset.Name,
                    chosen.Count,
                    modes.ToDictionary(mode => mode, mode => RecallMetrics.Score(mode, [.. chosen.Select(i => (ranked[mode][i], evidence[i]))]).RecallAt10));
            })
            .ToList();
        return new RecallQuality(
            scores,
            Ratio(hybrid.RecallAt10, text.RecallAt10),
            Ratio(hybrid.RecallAt5, text.RecallAt5),
            RecallMetrics.FoundOnlyBy(hybridRanked, ranked[RecallModes.Text], evidence, 10),
            RecallMetrics.FoundOnlyBy(ranked[RecallModes.Text], hybridRanked, evidence, 10),
            stored,
            Math.Round(waited, 2),
            withoutMatch,
            subsets);
    }

    // Where each mode should do well or badly: questions that share a content word with their evidence (full-text's
    // ground), those that share none, those that turn on time, and those that need two turns.
    private static readonly (string Name, Func<RecallQuestion, bool> Includes)[] Subsets =
    [
        ("shares a word with its evidence", q => q.SharedWords.Count > 0),
        ("paraphrased (no shared word)", q => q.SharedWords.Count == 0),
        ("temporal", q => q.Temporal),
        ("two evidence turns", q => q.Evidence.Count > 1),
    ];

    private static double Ratio(double value, double baseline) => baseline > 0 ? Math.Round(value / baseline, 3) : 0;
}
