using System.Text.Json;
using Soma.Core.Policy;

namespace Soma.Policy.Tests;

public sealed class DecisionReaderTests
{
    private static PolicyDecision Read(string json, out string? problem)
    {
        using var document = JsonDocument.Parse(json);
        return DecisionReader.Read(document.RootElement, "v1", "test", TimeSpan.FromMilliseconds(3), out problem);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("\"allow\"")]
    [InlineData("[true]")]
    [InlineData("{}")]
    [InlineData("""{"reasons": ["ok"]}""")]
    [InlineData("""{"allow": "true"}""")]
    [InlineData("""{"allow": 1}""")]
    [InlineData("""{"allow": null}""")]
    [InlineData("""{"allow": true, "reasons": "because"}""")]
    [InlineData("""{"allow": true, "reasons": null}""")]
    [InlineData("""{"allow": true, "reasons": {"a": "b"}}""")]
    [InlineData("""{"allow": true, "reasons": ["ok", 2]}""")]
    [InlineData("""{"allow": false, "reasons": [["nested"]]}""")]
    public void A_value_that_is_not_allow_and_reasons_is_a_malformed_deny(string json)
    {
        var decision = Read(json, out var problem);

        Assert.False(decision.Allow);
        Assert.Equal([PolicyReasons.Malformed], decision.Reasons);
        Assert.NotNull(problem);
        Assert.Null(decision.Obligations);
        Assert.Equal(("v1", "test", TimeSpan.FromMilliseconds(3)), (decision.PolicyVersion, decision.Engine, decision.Duration));
    }

    [Fact]
    public void The_problem_names_the_member_but_never_its_value()
    {
        Read("""{"allow": true, "reasons": ["ok", {"secret": "hunter2"}]}""", out var problem);

        Assert.Equal("reasons[1] is an object, not a string", problem);
    }

    [Theory]
    [InlineData("""{"allow": false}""")]
    [InlineData("""{"allow": false, "reasons": []}""")]
    public void A_deny_without_reasons_says_denied(string json)
    {
        var decision = Read(json, out var problem);

        Assert.Null(problem);
        Assert.False(decision.Allow);
        Assert.Equal([PolicyReasons.Denied], decision.Reasons);
    }

    [Fact]
    public void An_allow_keeps_its_reasons_and_extra_members_become_obligations()
    {
        var decision = Read("""{"allow": true, "reasons": ["admins may", "low risk"], "sandbox": true, "limits": {"cpu": 1}}""", out var problem);

        Assert.Null(problem);
        Assert.True(decision.Allow);
        Assert.Equal(["admins may", "low risk"], decision.Reasons);
        Assert.Equal("""{"sandbox":true,"limits":{"cpu":1}}""", JsonSerializer.Serialize(decision.Obligations));
    }

    [Fact]
    public void An_allow_without_reasons_or_extras_has_neither()
    {
        var decision = Read("""{"allow": true}""", out var problem);

        Assert.Null(problem);
        Assert.True(decision.Allow);
        Assert.Empty(decision.Reasons);
        Assert.Null(decision.Obligations);
    }
}
