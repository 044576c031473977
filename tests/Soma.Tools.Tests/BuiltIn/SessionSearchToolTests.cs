using System.Text.Json;
using Soma.Core.Storage;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.BuiltIn;

/// <summary><c>session.search</c> resolved from DI and run against a real SQLite file.</summary>
public sealed class SessionSearchToolTests : IAsyncLifetime
{
    private const string Tenant = "t-search";
    private static readonly DateTimeOffset Start = new(2026, 7, 14, 8, 0, 0, TimeSpan.Zero);
    private SqliteToolHost _host = null!;

    private ITool Tool => _host.Tool("session.search");

    public async ValueTask InitializeAsync() => _host = await SqliteToolHost.StartAsync();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Finds_messages_that_contain_every_word_in_any_case_newest_first()
    {
        var session = await _host.CreateSessionAsync(Tenant);
        await _host.AppendAsync(session, Start,
            "The quarterly REPORT is ready",
            "report draft only",
            "Quarterly numbers only",
            "the report for the quarter: QUARTERLY",
            "nothing to see");

        var result = await SearchAsync(session, "{\"query\":\"quarterly Report\"}");

        Assert.False(result.IsError);
        Assert.Equal(
            "[2026-07-14 08:00:03Z] assistant: the report for the quarter: QUARTERLY\n[2026-07-14 08:00:00Z] user: The quarterly REPORT is ready",
            result.Output);
    }

    [Fact]
    public async Task Words_may_be_separated_by_any_whitespace_and_match_inside_longer_words()
    {
        var session = await _host.CreateSessionAsync(Tenant);
        await _host.AppendAsync(session, Start, "Reporting on quarterly numbers", "quarter");

        Assert.Equal(["Reporting on quarterly numbers"], Contents(await SearchAsync(session, "{\"query\":\"  report \\t QUARTER \"}")));
    }

    [Fact]
    public async Task The_limit_is_honoured_and_keeps_the_newest()
    {
        var session = await _host.CreateSessionAsync(Tenant);
        await _host.AppendAsync(session, Start, Enumerable.Range(0, 25).Select(i => $"match {i:D2}").ToArray());

        Assert.Equal(["match 24", "match 23", "match 22"], Contents(await SearchAsync(session, "{\"query\":\"match\",\"limit\":3}")));
        Assert.Equal(["match 24", "match 23", "match 22", "match 21", "match 20"], Contents(await SearchAsync(session, "{\"query\":\"match\"}")));
        Assert.Equal(["match 24", "match 23", "match 22", "match 21", "match 20"], Contents(await SearchAsync(session, "{\"query\":\"match\",\"limit\":null}")));
        Assert.Equal(20, Contents(await SearchAsync(session, "{\"query\":\"match\",\"limit\":20}")).Count);
        Assert.Equal(["match 24"], Contents(await SearchAsync(session, "{\"query\":\"match\",\"limit\":1}")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("21")]
    [InlineData("-1")]
    [InlineData("2.5")]
    [InlineData("\"3\"")]
    [InlineData("true")]
    [InlineData("99999999999")]
    public async Task A_limit_outside_1_to_20_or_not_an_integer_is_invalid(string limit)
    {
        var session = await _host.CreateSessionAsync(Tenant);
        var result = await SearchAsync(session, $"{{\"query\":\"x\",\"limit\":{limit}}}");
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
        Assert.Contains("'limit'", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100%", "100% sure")]
    [InlineData("%", "100% sure")]
    [InlineData("snake_case", "snake_case")]
    [InlineData("_", "snake_case")]
    [InlineData("C:\\\\temp", "C:\\temp")]
    [InlineData("\\\\", "C:\\temp")]
    public async Task Percent_underscore_and_backslash_in_the_query_are_literal(string query, string only)
    {
        var session = await _host.CreateSessionAsync(Tenant);
        await _host.AppendAsync(session, Start, "100% sure", "1000 sure", "snake_case", "snakeXcase", "C:\\temp", "C:temp", "plain");

        Assert.Equal([only], Contents(await SearchAsync(session, $"{{\"query\":\"{query}\"}}")));
    }

    [Fact]
    public async Task Another_sessions_or_another_tenants_messages_are_never_returned()
    {
        var mine = await _host.CreateSessionAsync(Tenant);
        var sibling = await _host.CreateSessionAsync(Tenant);

        // Another tenant may hold a session with the very same id.
        var foreign = await _host.CreateSessionAsync("t-other", mine.Id);
        await _host.AppendAsync(mine, Start, "secret plan mine");
        await _host.AppendAsync(sibling, Start.AddMinutes(1), "secret plan sibling");
        await _host.AppendAsync(foreign, Start.AddMinutes(2), "secret plan foreign");

        Assert.Equal(["secret plan mine"], Contents(await SearchAsync(mine, "{\"query\":\"secret plan\",\"limit\":20}")));
        Assert.Equal(["secret plan sibling"], Contents(await SearchAsync(sibling, "{\"query\":\"secret plan\",\"limit\":20}")));
        Assert.Equal(["secret plan foreign"], Contents(await SearchAsync(foreign, "{\"query\":\"secret plan\",\"limit\":20}")));

        // A tenant that guesses another tenant's session id finds nothing.
        var guess = await ToolCalls.InvokeAsync(Tool, "{\"query\":\"secret\"}", ToolCalls.Context("t-intruder", sibling.Id));
        Assert.False(guess.IsError);
        Assert.Equal("No message of this session contains 'secret'.", guess.Output);
    }

    [Fact]
    public async Task No_match_is_an_answer_not_an_error()
    {
        var session = await _host.CreateSessionAsync(Tenant);
        await _host.AppendAsync(session, Start, "hello world");

        var result = await SearchAsync(session, "{\"query\":\"hello mars\"}");
        Assert.False(result.IsError);
        Assert.Equal("No message of this session contains 'hello mars'.", result.Output);
    }

    [Fact]
    public async Task A_long_message_is_cut_to_400_characters()
    {
        var session = await _host.CreateSessionAsync(Tenant);
        var content = "needle " + new string('x', 1000);
        await _host.AppendAsync(session, Start, content);

        var found = Assert.Single(Contents(await SearchAsync(session, "{\"query\":\"needle\"}")));
        Assert.Equal(content[..400] + "…", found);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"query\":null}")]
    [InlineData("{\"query\":\"\"}")]
    [InlineData("{\"query\":\"   \"}")]
    [InlineData("{\"query\":42}")]
    [InlineData("{\"query\":[\"a\"]}")]
    [InlineData("[\"a\"]")]
    [InlineData("\"a\"")]
    public async Task An_empty_missing_or_mistyped_query_is_invalid(string arguments)
    {
        var session = await _host.CreateSessionAsync(Tenant);
        var result = await SearchAsync(session, arguments);
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
    }

    [Fact]
    public async Task A_query_over_200_characters_is_invalid_and_200_is_accepted()
    {
        var session = await _host.CreateSessionAsync(Tenant);
        var longest = new string('a', 200);
        await _host.AppendAsync(session, Start, longest);

        Assert.Equal([longest], Contents(await SearchAsync(session, JsonSerializer.Serialize(new { query = longest }))));
        var result = await SearchAsync(session, JsonSerializer.Serialize(new { query = longest + "a" }));
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
        Assert.Contains("1 to 200 characters", result.Output, StringComparison.Ordinal);
    }

    private Task<ToolResult> SearchAsync(Session session, string arguments) =>
        ToolCalls.InvokeAsync(Tool, arguments, ToolCalls.Context(session.TenantId, session.Id));

    /// <summary>The message texts of a result, in the order shown (<c>[time] role: text</c> per line).</summary>
    private static List<string> Contents(ToolResult result)
    {
        Assert.False(result.IsError, result.Output);
        return result.Output.StartsWith("No message", StringComparison.Ordinal)
            ? []
            : [.. result.Output.Split('\n').Select(line => line[(line.IndexOf(": ", line.IndexOf(']', StringComparison.Ordinal), StringComparison.Ordinal) + 2)..])];
    }
}
