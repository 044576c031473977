using System.Reflection;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>Step keys round-trip; effect keys are stable and never depend on the attempt.</summary>
public sealed class KeyTests
{
    private static readonly Guid Run = Guid.Parse("0190f3c2-a1b2-7c3e-8d4f-5a6b7c8d9e0f");

    [Fact]
    public void Effect_keys_have_a_stable_documented_format()
    {
        // Downstream systems store these keys: changing the format would repeat effects after an upgrade.
        Assert.Equal("0190f3c2a1b27c3e8d4f5a6b7c8d9e0f/charge/0", EffectKeys.For(Run, "charge", 0));
        Assert.Equal("0190f3c2a1b27c3e8d4f5a6b7c8d9e0f/call/12", EffectKeys.For(Run, "call", 12));
    }

    [Fact]
    public void Effect_keys_differ_by_run_step_and_iteration_only()
    {
        var key = EffectKeys.For(Run, "call", 1);

        Assert.Equal(key, EffectKeys.For(Run, "call", 1));
        Assert.NotEqual(key, EffectKeys.For(Guid.Parse("0190f3c2-a1b2-7c3e-8d4f-5a6b7c8d9e10"), "call", 1));
        Assert.NotEqual(key, EffectKeys.For(Run, "calls", 1));
        Assert.NotEqual(key, EffectKeys.For(Run, "call", 2));
    }

    [Fact]
    public void Effect_keys_take_no_attempt()
    {
        var overloads = typeof(EffectKeys).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == nameof(EffectKeys.For)).ToList();

        var only = Assert.Single(overloads);
        Assert.Equal(["runId", "stepId", "loopIteration"], only.GetParameters().Select(p => p.Name));
    }

    [Fact]
    public void A_step_context_carries_the_same_effect_key_on_every_attempt()
    {
        var contexts = Enumerable.Range(1, 3).Select(attempt => new StepContext(
            Run, "acme", "tools[1]/call", attempt, 1, EffectKeys.For(Run, "call", 1), Steps.EmptyInput,
            new Dictionary<string, System.Text.Json.JsonElement>(), DateTimeOffset.UnixEpoch, new Random(attempt))).ToList();

        Assert.Single(contexts.Select(c => c.IdempotencyKey).Distinct());
        Assert.Equal([1, 2, 3], contexts.Select(c => c.Attempt));
    }

    [Fact]
    public void Effect_keys_refuse_missing_step_ids_and_negative_iterations()
    {
        Assert.Throws<ArgumentException>(() => EffectKeys.For(Run, "", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EffectKeys.For(Run, "call", -1));
    }

    [Theory]
    [InlineData("fetch", null, 0, "fetch")]
    [InlineData("call", "tools", 2, "tools[2]/call")]
    [InlineData("call", "tools", 0, "tools[0]/call")]
    [InlineData("a_b-c", "loop-1", 999, "loop-1[999]/a_b-c")]
    [InlineData("c", "l", int.MaxValue, "l[2147483647]/c")]
    public void Step_keys_round_trip(string stepId, string? loopId, int iteration, string key)
    {
        Assert.Equal(key, StepKeys.For(stepId, loopId, iteration));

        Assert.True(StepKeys.TryParse(key, out var parsedStep, out var parsedLoop, out var parsedIteration));
        Assert.Equal((stepId, loopId, iteration), (parsedStep, parsedLoop, parsedIteration));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Fetch")]
    [InlineData("fetch ")]
    [InlineData("fetch\n")]
    [InlineData("/call")]
    [InlineData("tools/call")]
    [InlineData("tools[]/call")]
    [InlineData("tools[x]/call")]
    [InlineData("tools[-1]/call")]
    [InlineData("tools[+1]/call")]
    [InlineData("tools[01]/call")]
    [InlineData("tools[ 1]/call")]
    [InlineData("tools[1]")]
    [InlineData("tools[1]/")]
    [InlineData("[1]/call")]
    [InlineData("tools1]/call")]
    [InlineData("tools[1/call")]
    [InlineData("tools[1]x/call")]
    [InlineData("tools[1][2]/call")]
    [InlineData("tools[1]/call/more")]
    [InlineData("tools[1]/Call")]
    [InlineData("tools[2147483648]/call")]
    [InlineData("tools[١]/call")]
    public void Step_keys_reject_garbage(string key)
    {
        Assert.False(StepKeys.TryParse(key, out _, out _, out _));
    }

    [Fact]
    public void Step_keys_reject_null()
    {
        Assert.False(StepKeys.TryParse(null!, out _, out var loopId, out _));
        Assert.Null(loopId);
    }

    [Fact]
    public void Step_keys_cannot_be_built_from_bad_parts()
    {
        Assert.Throws<ArgumentException>(() => StepKeys.For("Call", "tools", 0));
        Assert.Throws<ArgumentException>(() => StepKeys.For("call", "to/ols", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepKeys.For("call", "tools", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepKeys.For("fetch", null, 1));
    }
}
