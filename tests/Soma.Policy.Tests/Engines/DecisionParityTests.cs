using System.Text.Json;
using Soma.Policy.Engines;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Engines;

/// <summary>
/// The embedded engine reads its decision as a Rego value and the OPA adapter as JSON: the same decision document must
/// mean the same thing to both, or a policy would decide differently on the two engines.
/// </summary>
public sealed class DecisionParityTests
{
    [Theory]
    [InlineData("""{"allow": true, "reasons": ["granted by role \"user\""]}""")]
    [InlineData("""{"allow": true}""")]
    [InlineData("""{"allow": false}""")]
    [InlineData("""{"allow": false, "reasons": ["a", "b"]}""")]
    [InlineData("""{"allow": true, "reasons": [], "rate_limit": {"calls_per_minute": 5}}""")]
    [InlineData("""{"allow": "yes"}""")]
    [InlineData("""{"allow": true, "reasons": "one"}""")]
    [InlineData("""{"allow": true, "reasons": [1]}""")]
    [InlineData("""{"reasons": ["no allow"]}""")]
    [InlineData("""true""")]
    [InlineData("""[{"allow": true}]""")]
    public void Both_readers_agree(string document)
    {
        using var json = JsonDocument.Parse(document);
        var fromJson = DecisionReader.Read(json.RootElement, "v", "e", TimeSpan.Zero, out _);
        var fromValue = DecisionValue.Read(Value.ParseJson(document), "v", "e", TimeSpan.Zero);
        Assert.Equal(fromJson.Allow, fromValue.Allow);
        Assert.Equal(fromJson.Reasons, fromValue.Reasons);
        Assert.Equal(fromJson.Obligations?.GetRawText() is { } a ? JsonSerializer.Serialize(JsonDocument.Parse(a)) : null,
            fromValue.Obligations?.GetRawText() is { } b ? JsonSerializer.Serialize(JsonDocument.Parse(b)) : null);
    }
}

/// <summary>The embedded engine's input document is the very document OPA is sent.</summary>
public sealed class InputParityTests
{
    [Theory]
    [InlineData("""{"expression":"2+3","n":[1,2.5,null]}""", "s1", "2026-12-02T16:20:34.5+01:00")]
    [InlineData(null, null, "2026-12-02T00:00:00Z")]
    public void Both_engines_see_the_same_input(string? arguments, string? session, string now)
    {
        var input = new Soma.Core.Policy.PolicyInput("acme", "alice", ["user", "admin"],
            new Soma.Core.Policy.PolicyToolInput("math.evaluate", arguments is null ? default : JsonDocument.Parse(arguments).RootElement, "low", false),
            session, "r1", null, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        var sent = Value.ParseJson(System.Text.Encoding.UTF8.GetString(PolicyInputDocument.Serialize(input)));
        Assert.Equal(sent, PolicyInputValue.From(input));
    }
}
