using System.Text.Json;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>The outcomes a step can return.</summary>
public sealed class StepOutcomeTests
{
    private sealed record SearchResult(string DisplayName, int HitCount, IReadOnlyList<string> TopUrls);

    [Fact]
    public void Succeeded_serializes_values_with_web_defaults()
    {
        var outcome = StepOutcome.Succeeded(new SearchResult("Durable agents", 2, ["https://a.example"]));

        var succeeded = Assert.IsType<StepOutcome.StepSucceeded>(outcome);
        Assert.Equal("""{"displayName":"Durable agents","hitCount":2,"topUrls":["https://a.example"]}""", succeeded.Output.GetRawText());
    }

    [Fact]
    public void Succeeded_keeps_a_json_output_after_its_document_is_disposed()
    {
        StepOutcome outcome;
        using (var document = JsonDocument.Parse("""{"answer":42}"""))
        {
            outcome = StepOutcome.Succeeded(document.RootElement);
        }

        var succeeded = Assert.IsType<StepOutcome.StepSucceeded>(outcome);
        Assert.Equal(42, succeeded.Output.GetProperty("answer").GetInt32());
    }

    [Fact]
    public void Succeeded_refuses_an_undefined_element()
    {
        Assert.Throws<ArgumentException>(() => StepOutcome.Succeeded(default(JsonElement)));
    }

    [Fact]
    public void Wait_names_what_the_run_waits_for()
    {
        var waiting = Assert.IsType<StepOutcome.StepWaiting>(StepOutcome.Wait("approval"));

        Assert.Equal("approval", waiting.WaitingFor);
        Assert.Throws<ArgumentException>(() => StepOutcome.Wait(" "));
    }

    [Fact]
    public void Failures_are_retryable_unless_said_otherwise()
    {
        var retryable = Assert.IsType<StepOutcome.StepFailure>(StepOutcome.Fail("timeout", "no answer in 10 s"));
        var final = Assert.IsType<StepOutcome.StepFailure>(StepOutcome.Fail("denied", "policy denied the tool", retryable: false));

        Assert.Equal(("timeout", "no answer in 10 s", true), (retryable.Code, retryable.Message, retryable.Retryable));
        Assert.False(final.Retryable);
    }

    [Fact]
    public void A_runner_can_switch_over_every_outcome()
    {
        static string Describe(StepOutcome outcome) => outcome switch
        {
            StepOutcome.StepSucceeded s => $"ok {s.Output.GetRawText()}",
            StepOutcome.StepWaiting w => $"wait {w.WaitingFor}",
            StepOutcome.StepFailure f => $"fail {f.Code}",
            _ => "unknown",
        };

        Assert.Equal("ok 1", Describe(StepOutcome.Succeeded(1)));
        Assert.Equal("wait approval", Describe(StepOutcome.Wait("approval")));
        Assert.Equal("fail boom", Describe(StepOutcome.Fail("boom", "it broke")));
    }

    [Fact]
    public async Task A_step_function_reads_its_context()
    {
        StepFunction step = (context, _) => ValueTask.FromResult(context.ResumeInput is { } resume
            ? StepOutcome.Succeeded(new { approved = resume.GetProperty("approved").GetBoolean(), context.Attempt, roll = context.Random.Next(100) })
            : StepOutcome.Wait("approval"));

        var first = await step(Context(resumeInput: null), CancellationToken.None);
        var resumed = await step(Context(JsonElement.Parse("""{"approved":true}""")), CancellationToken.None);
        var replayed = await step(Context(JsonElement.Parse("""{"approved":true}""")), CancellationToken.None);

        Assert.IsType<StepOutcome.StepWaiting>(first);
        var output = Assert.IsType<StepOutcome.StepSucceeded>(resumed).Output;
        Assert.True(output.GetProperty("approved").GetBoolean());
        Assert.Equal(2, output.GetProperty("attempt").GetInt32());
        Assert.Equal(output.GetRawText(), Assert.IsType<StepOutcome.StepSucceeded>(replayed).Output.GetRawText());
    }

    private static StepContext Context(JsonElement? resumeInput) => new(
        Guid.CreateVersion7(), "acme", "approve", 2, 0, null, Steps.EmptyInput, new Dictionary<string, JsonElement>(),
        DateTimeOffset.UnixEpoch, new Random(42), resumeInput);
}
