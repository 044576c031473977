namespace Soma.Benchmarks.Tests;

public sealed class RecallMetricsTests
{
    [Fact]
    public void Recall_at_k_is_the_fraction_of_evidence_within_the_first_k()
    {
        string[] ranked = ["a", "b", "c", "d", "e", "f"];

        Assert.Equal(1.0, RecallMetrics.RecallAt(ranked, ["b"], 5));
        Assert.Equal(0.0, RecallMetrics.RecallAt(ranked, ["f"], 5));
        Assert.Equal(1.0, RecallMetrics.RecallAt(ranked, ["f"], 10));
        Assert.Equal(0.5, RecallMetrics.RecallAt(ranked, ["a", "f"], 5));
        Assert.Equal(0.0, RecallMetrics.RecallAt([], ["a"], 10));
    }

    [Fact]
    public void A_mode_scores_the_mean_over_questions_and_the_share_with_all_evidence_found()
    {
        var ranks = Enumerable.Range(1, 10).Select(i => $"x{i}").ToArray();
        (IReadOnlyList<string>, IReadOnlyCollection<string>)[] answers =
        [
            (ranks, ["x1"]),          // found at 5 and 10
            (ranks, ["x7"]),          // found at 10 only
            (ranks, ["x2", "x9"]),    // half at 5, all at 10
            (ranks, ["x3", "zz"]),    // half at both
        ];

        var score = RecallMetrics.Score("text", answers);

        Assert.Equal(4, score.Questions);
        Assert.Equal((1 + 0 + 0.5 + 0.5) / 4, score.RecallAt5, 9);
        Assert.Equal((1 + 1 + 1 + 0.5) / 4, score.RecallAt10, 9);
        Assert.Equal(0.25, score.AllFoundAt5, 9);
        Assert.Equal(0.75, score.AllFoundAt10, 9);
    }

    [Fact]
    public void Found_only_by_counts_evidence_one_ranking_has_in_its_first_k_and_the_other_lacks()
    {
        IReadOnlyList<IReadOnlyCollection<string>> evidence = [["a"], ["b", "c"], ["d"]];
        IReadOnlyList<IReadOnlyList<string>> hybrid = [["a"], ["b", "c"], ["x"]];
        IReadOnlyList<IReadOnlyList<string>> text = [["a"], ["x", "y", "c"], ["d"]];

        Assert.Equal(1, RecallMetrics.FoundOnlyBy(hybrid, text, evidence, 10));
        Assert.Equal(1, RecallMetrics.FoundOnlyBy(text, hybrid, evidence, 10));
    }

    [Fact]
    public void A_question_without_evidence_is_refused()
    {
        Assert.Throws<ArgumentException>(() => RecallMetrics.RecallAt(["a"], [], 5));
    }
}
