namespace Soma.Benchmarks.Tests;

/// <summary>
/// <c>Data/validate</c>: the shipped dataset of the recall benchmark (benchmarks/Soma.Benchmarks/Data) parses, every
/// question cites turns that exist and belong to its persona, and it is as large as issue 16 asks.
/// </summary>
public sealed class RecallDatasetTests
{
    private static readonly RecallDataset Dataset = RecallDataset.Load(RecallDataset.DefaultPath);

    [Fact]
    public void The_dataset_parses_and_every_question_cites_existing_turns_of_its_own_persona()
    {
        Assert.Empty(Dataset.Problems());
        Assert.All(Dataset.Questions, q => Assert.NotEmpty(q.Evidence));
    }

    [Fact]
    public void The_dataset_meets_the_sizes_of_the_issue()
    {
        Assert.True(Dataset.Personas.Count >= 6, $"{Dataset.Personas.Count} personas");
        Assert.True(Dataset.Sessions.Count >= 30, $"{Dataset.Sessions.Count} sessions");
        Assert.True(Dataset.Turns.Count() >= 600, $"{Dataset.Turns.Count()} turns");
        Assert.True(Dataset.Questions.Count >= 200, $"{Dataset.Questions.Count} questions");
    }

    [Fact]
    public void Most_questions_are_paraphrased_some_are_temporal_some_need_two_turns_and_distractors_exist()
    {
        var sharing = Dataset.Questions.Count(q => q.SharedWords.Count > 0);
        var share = (double)sharing / Dataset.Questions.Count;

        // Roughly a third share a content word with their evidence (where full-text search should do well).
        Assert.InRange(share, 0.2, 0.45);
        Assert.True(Dataset.Questions.Count(q => q.Temporal) >= 15);
        Assert.True(Dataset.Questions.Count(q => q.Evidence.Count >= 2) >= 15);
        Assert.True(Dataset.Turns.Count(t => t.Turn.Distractor) >= 30);
    }

    [Fact]
    public void A_broken_dataset_is_reported_naming_the_question_and_the_turn()
    {
        var broken = Dataset with
        {
            Questions =
            [
                .. Dataset.Questions.Take(2),
                new RecallQuestion("q-none", "maya", "Where?", [], "paraphrase", false, []),
                new RecallQuestion("q-ghost", "maya", "Who?", ["maya-s99-t01"], "paraphrase", false, []),
                new RecallQuestion("q-other", "maya", "What?", ["raj-s1-t01"], "paraphrase", false, []),
            ],
        };

        var problems = broken.Problems();

        Assert.Contains("question q-none has no evidence", problems);
        Assert.Contains("question q-ghost cites evidence 'maya-s99-t01', which is no turn", problems);
        Assert.Contains("question q-other of maya cites raj-s1-t01 of raj", problems);
        Assert.Contains("5 questions, fewer than 200", problems);
    }
}
