using System.Text.Json.Serialization;

namespace Soma.Benchmarks;

/// <summary>
/// Recall@k of evidence turns: a question scores the fraction of its evidence found among the first k results, the
/// mode's recall@k is the mean over questions; "all found" is the share of questions with every evidence turn in the
/// first k.
/// </summary>
internal static class RecallMetrics
{
    /// <summary>The fraction of <paramref name="evidence"/> among the first <paramref name="k"/> of <paramref name="ranked"/>.</summary>
    public static double RecallAt(IReadOnlyList<string> ranked, IReadOnlyCollection<string> evidence, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (evidence.Count == 0)
        {
            throw new ArgumentException("A question without evidence has no recall.", nameof(evidence));
        }

        var top = ranked.Take(k).ToHashSet(StringComparer.Ordinal);
        return (double)evidence.Count(top.Contains) / evidence.Count;
    }

    /// <summary>The scores of one mode over every question.</summary>
    public static ModeScore Score(string mode, IReadOnlyList<(IReadOnlyList<string> Ranked, IReadOnlyCollection<string> Evidence)> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        if (answers.Count == 0)
        {
            throw new ArgumentException("No answers to score.", nameof(answers));
        }

        double at5 = 0, at10 = 0, all5 = 0, all10 = 0;
        foreach (var (ranked, evidence) in answers)
        {
            var r5 = RecallAt(ranked, evidence, 5);
            var r10 = RecallAt(ranked, evidence, 10);
            at5 += r5;
            at10 += r10;
            all5 += r5 == 1.0 ? 1 : 0;
            all10 += r10 == 1.0 ? 1 : 0;
        }

        var n = answers.Count;
        return new ModeScore(mode, n, at5 / n, at10 / n, all5 / n, all10 / n);
    }

    /// <summary>
    /// How many evidence turns <paramref name="better"/> found in its first <paramref name="k"/> that
    /// <paramref name="baseline"/> did not, over the same questions in the same order.
    /// </summary>
    public static int FoundOnlyBy(
        IReadOnlyList<IReadOnlyList<string>> better, IReadOnlyList<IReadOnlyList<string>> baseline, IReadOnlyList<IReadOnlyCollection<string>> evidence, int k)
    {
        ArgumentNullException.ThrowIfNull(better);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(evidence);
        if (better.Count != evidence.Count || baseline.Count != evidence.Count)
        {
            throw new ArgumentException("Both rankings need one entry per question.", nameof(evidence));
        }

        var found = 0;
        for (var i = 0; i < evidence.Count; i++)
        {
            var mine = better[i].Take(k).ToHashSet(StringComparer.Ordinal);
            var theirs = baseline[i].Take(k).ToHashSet(StringComparer.Ordinal);
            found += evidence[i].Count(e => mine.Contains(e) && !theirs.Contains(e));
        }

        return found;
    }
}

/// <summary>One recall mode's quality over the dataset's questions.</summary>
/// <param name="Mode"><c>text</c>, <c>vector</c> or <c>hybrid</c>.</param>
/// <param name="Questions">Questions asked.</param>
/// <param name="RecallAt5">Mean fraction of evidence in the first 5.</param>
/// <param name="RecallAt10">Mean fraction of evidence in the first 10.</param>
/// <param name="AllFoundAt5">Share of questions with all their evidence in the first 5.</param>
/// <param name="AllFoundAt10">Share of questions with all their evidence in the first 10.</param>
internal sealed record ModeScore(
    string Mode,
    int Questions,
    [property: JsonPropertyName("recall_at_5")] double RecallAt5,
    [property: JsonPropertyName("recall_at_10")] double RecallAt10,
    [property: JsonPropertyName("all_found_at_5")] double AllFoundAt5,
    [property: JsonPropertyName("all_found_at_10")] double AllFoundAt10);
