using Soma.Tools.BuiltIn;

namespace Soma.Tools.Tests.BuiltIn;

public sealed class TimeToolsTests
{
    private static readonly DateTimeOffset Summer = new(2026, 7, 14, 10, 30, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset Winter = new(2026, 1, 15, 23, 30, 0, TimeSpan.Zero);
    private readonly TimeTools.NowTool _tool = new();

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"timezone\":null}")]
    [InlineData("{\"timezone\":\"\"}")]
    [InlineData("{\"timezone\":\"UTC\"}")]
    [InlineData("{\"timezone\":\"Etc/UTC\"}")]
    public async Task Utc_is_the_default_and_comes_from_the_context_clock(string arguments)
    {
        var result = await ToolCalls.InvokeAsync(_tool, arguments, ToolCalls.Context(now: Summer));
        Assert.False(result.IsError);
        Assert.Equal("2026-07-14T10:30:05Z (UTC)", result.Output);
    }

    [Fact]
    public async Task The_context_time_is_converted_to_utc_whatever_its_offset()
    {
        var result = await ToolCalls.InvokeAsync(_tool, "{}", ToolCalls.Context(now: new DateTimeOffset(2026, 7, 14, 12, 30, 5, TimeSpan.FromHours(2))));
        Assert.Equal("2026-07-14T10:30:05Z (UTC)", result.Output);
    }

    [Theory]
    [InlineData("Europe/Paris", true, "2026-07-14T12:30:05+02:00 (Europe/Paris)")]
    [InlineData("Europe/Paris", false, "2026-01-16T00:30:00+01:00 (Europe/Paris)")]
    [InlineData("Asia/Kolkata", true, "2026-07-14T16:00:05+05:30 (Asia/Kolkata)")]
    [InlineData("America/New_York", true, "2026-07-14T06:30:05-04:00 (America/New_York)")]
    [InlineData("America/New_York", false, "2026-01-15T18:30:00-05:00 (America/New_York)")]
    [InlineData("Pacific/Kiritimati", false, "2026-01-16T13:30:00+14:00 (Pacific/Kiritimati)")]
    public async Task A_time_zone_converts_the_context_time_with_its_daylight_saving_rules(string zone, bool summer, string expected)
    {
        var result = await ToolCalls.InvokeAsync(_tool, $"{{\"timezone\":\"{zone}\"}}", ToolCalls.Context(now: summer ? Summer : Winter));
        Assert.False(result.IsError, result.Output);
        Assert.Equal(expected, result.Output);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("Europe/Pariss")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("Europe/../../../etc/hostname")]
    public async Task An_unknown_time_zone_is_an_error_that_names_it(string zone)
    {
        var result = await ToolCalls.InvokeAsync(_tool, $"{{\"timezone\":\"{zone}\"}}");
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
        Assert.Equal($"Unknown time zone '{zone}'.", result.Output);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"Europe/Paris\"")]
    [InlineData("{\"timezone\":1}")]
    [InlineData("{\"timezone\":[\"Europe/Paris\"]}")]
    public async Task Arguments_that_are_not_an_object_or_a_zone_that_is_not_a_string_are_invalid(string arguments)
    {
        var result = await ToolCalls.InvokeAsync(_tool, arguments);
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
    }
}
