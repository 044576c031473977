using Soma.Orchestration.Checkpoints;

namespace Soma.Orchestration.Tests.Checkpoints;

/// <summary>Today's code reads yesterday's checkpoints: golden files of every released format version.</summary>
public sealed class CheckpointFormatTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Checkpoints", "golden", name));

    [Fact]
    public void A_format_1_checkpoint_reads_with_every_field()
    {
        var state = CheckpointFormat.Read(1, Golden("v1-running-with-loop.json"));

        var fetch = state.Step("fetch")!;
        Assert.Equal(StepStatus.Succeeded, fetch.Status);
        Assert.Equal(42, fetch.Output!.Value.GetProperty("order").GetInt32());
        Assert.Equal(125.5, fetch.DurationMs);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 0, 0, 125, TimeSpan.Zero), fetch.StartedAt);

        var charge = state.Step("charge")!;
        Assert.Equal(StepStatus.Retrying, charge.Status);
        Assert.Equal(new StepError("http.503", "upstream unavailable", true), charge.Error);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 0, 2, TimeSpan.Zero), charge.NextAttemptAt);

        Assert.Equal("approval", state.Step("approve")!.WaitingFor);
        Assert.Equal(StepStatus.Skipped, state.Step("notify")!.Status);
        Assert.Equal(StepStatus.Failed, state.Step("tools[1]/call")!.Status);
        Assert.Equal(new LoopRecord(1, false), state.Loops["tools"]);
        Assert.Equal("alice", state.ResumeInputs["approve"].GetProperty("approved_by").GetString());
    }

    [Fact]
    public void Writing_and_reading_back_gives_the_same_state()
    {
        var state = CheckpointFormat.Read(1, Golden("v1-running-with-loop.json"));
        var again = CheckpointFormat.Read(CheckpointFormat.Current, CheckpointFormat.Write(state));
        Assert.Equal(CheckpointFormat.Write(state), CheckpointFormat.Write(again));
        Assert.Equal(state.Steps.Keys, again.Steps.Keys);
    }

    [Fact]
    public void A_checkpoint_from_a_future_format_is_refused_naming_both_versions()
    {
        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFormat.Read(CheckpointFormat.Current + 1, Golden("v1-running-with-loop.json")));
        Assert.Contains($"format version {CheckpointFormat.Current + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"writes {CheckpointFormat.Current}", error.Message, StringComparison.Ordinal);
        Assert.Equal(CheckpointFormat.Current + 1, error.StoredFormatVersion);
        Assert.Throws<CheckpointFormatException>(() => CheckpointFormat.Read(0, "{}"));
    }

    [Theory]
    [InlineData("v1-corrupted-truncated.json")]
    [InlineData("v1-corrupted-unknown-status.json")]
    public void A_corrupted_checkpoint_is_refused_naming_both_versions(string file)
    {
        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFormat.Read(1, Golden(file)));
        Assert.Contains("format version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"writes {CheckpointFormat.Current}", error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_field_is_corruption_not_silently_dropped()
    {
        Assert.Throws<CheckpointFormatException>(() => CheckpointFormat.Read(1, """{"steps":{},"surprise":1}"""));
    }
}
