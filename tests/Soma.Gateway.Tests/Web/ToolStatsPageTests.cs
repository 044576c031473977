using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Soma.Gateway.Tests.Tools;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// Tool analytics in a browser: a user's turn makes four tool calls (one fails, one is denied); the same user opens
/// "Tool analytics" and reads each tool's counts and percentiles, with a chart per tool whose bars and text
/// alternative say the same; a shorter window still holds the calls; a tenant without calls sees the empty state.
/// </summary>
public sealed partial class ToolStatsPageTests(ToolStatsBrowserFixture fixture) : IClassFixture<ToolStatsBrowserFixture>
{
    [Fact]
    public async Task A_user_sees_each_tools_calls_failures_denials_and_percentiles_with_a_chart_per_tool()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, "alice", ["user"]));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        fixture.Model.Enqueue(ToolStatsApiTests.FourCalls());
        var composer = page.GetByTestId("composer");
        await composer.FillAsync("use the tools");
        await composer.PressAsync("Enter");
        await Expect(page.GetByTestId("run-status").First).ToHaveAttributeAsync("data-state", "succeeded");
        await Expect(page.Locator("[data-testid=tool-call][data-tool='session.search']")).ToHaveAttributeAsync("data-status", "denied");

        var open = page.GetByTestId("open-tools");
        await Expect(open).ToBeVisibleAsync();
        await open.ClickAsync();
        var panel = page.GetByRole(AriaRole.Dialog, new() { Name = "Tool analytics" });
        await Expect(panel).ToBeVisibleAsync();
        var rows = panel.GetByTestId("tool-stats-row");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(panel.GetByTestId("tools-status")).ToHaveTextAsync("4 calls of 3 tools in the last 24 hours: 1 failed (0 timed out), 1 denied.");

        // Busiest first: math.evaluate (one result, one failure), then session.search (denied), then time.now.
        await Expect(rows.GetByTestId("tool-stats-tool")).ToHaveTextAsync(["math.evaluate", "session.search", "time.now"]);
        var math = Row(panel, "math.evaluate");
        await ExpectCounts(math, calls: 2, succeeded: 1, failed: 1, denied: 0, timeouts: 0);
        foreach (var percentile in new[] { "p50", "p95", "p99" })
        {
            await Expect(math.GetByTestId($"tool-stats-{percentile}")).ToHaveTextAsync(Duration());
        }

        var search = Row(panel, "session.search");
        await ExpectCounts(search, calls: 1, succeeded: 0, failed: 0, denied: 1, timeouts: 0);
        await Expect(search.GetByTestId("tool-stats-p50")).ToHaveTextAsync("—");
        await Expect(search.GetByTestId("tool-stats-bytes")).ToHaveTextAsync("0 B");
        var time = Row(panel, "time.now");
        await ExpectCounts(time, calls: 1, succeeded: 1, failed: 0, denied: 0, timeouts: 0);
        await Expect(time.GetByTestId("tool-stats-bytes")).ToHaveTextAsync(Bytes());

        // A chart per tool: 24 buckets, the calls in the newest, failures and denials drawn in their colours, and a
        // text alternative with the same numbers.
        var mathChart = math.GetByRole(AriaRole.Img);
        await Expect(mathChart).ToHaveAccessibleNameAsync(new Regex("^math\\.evaluate: 2 calls, 1 failed, 0 denied over the last 24 hours; busiest: 2 calls from "));
        await Expect(mathChart.Locator("g.tool-chart-bucket")).ToHaveCountAsync(24);
        await Expect(mathChart.Locator("g.tool-chart-bucket").Last).ToHaveAttributeAsync("data-calls", "2");
        await Expect(mathChart.Locator("rect.tool-chart-calls")).ToHaveCountAsync(1);
        await Expect(mathChart.Locator("rect.tool-chart-failed")).ToHaveCountAsync(1);
        await Expect(mathChart.Locator("rect.tool-chart-denied")).ToHaveCountAsync(0);
        Assert.True(await BarHeightAsync(mathChart.Locator("rect.tool-chart-calls")) > await BarHeightAsync(mathChart.Locator("rect.tool-chart-failed")),
            "the failed part is half of the calls' bar");
        var searchChart = search.GetByRole(AriaRole.Img);
        await Expect(searchChart).ToHaveAccessibleNameAsync(new Regex("^session\\.search: 1 call, 0 failed, 1 denied over the last 24 hours"));
        await Expect(searchChart.Locator("rect.tool-chart-denied")).ToHaveCountAsync(1);
        await Expect(time.GetByRole(AriaRole.Img).Locator("rect.tool-chart-calls")).ToHaveCountAsync(1);
        await Expect(time.GetByRole(AriaRole.Img).Locator("rect.tool-chart-failed")).ToHaveCountAsync(0);

        // The last hour holds the same calls; Esc closes and gives the focus back.
        await panel.GetByTestId("tools-window").SelectOptionAsync("1h");
        await Expect(panel.GetByTestId("tools-status")).ToHaveTextAsync("4 calls of 3 tools in the last hour: 1 failed (0 timed out), 1 denied.");
        await Expect(mathChart).ToHaveAccessibleNameAsync(new Regex("over the last hour"));
        await page.Keyboard.PressAsync("Escape");
        await Expect(panel).ToBeHiddenAsync();
        await Expect(open).ToBeFocusedAsync();
        problems.AssertNone();
    }

    [Fact]
    public async Task A_tenant_without_tool_calls_sees_the_empty_state()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(ServerFixture.NewTenant(), "bob", ["user"]));
        await page.GetByTestId("open-tools").ClickAsync();
        var panel = page.GetByTestId("tools-panel");
        await Expect(panel.GetByTestId("tools-status")).ToHaveTextAsync("No tool calls in the last 24 hours: they appear when an agent calls a tool.");
        await Expect(panel.GetByTestId("tool-stats-row")).ToHaveCountAsync(0);
        await Expect(panel.GetByTestId("tools-table")).ToBeHiddenAsync();
        problems.AssertNone();
    }

    private static ILocator Row(ILocator panel, string tool) => panel.Locator($"[data-testid=tool-stats-row][data-tool='{tool}']");

    private static async Task ExpectCounts(ILocator row, int calls, int succeeded, int failed, int denied, int timeouts)
    {
        await Expect(row.GetByTestId("tool-stats-calls")).ToHaveTextAsync(calls.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(row.GetByTestId("tool-stats-succeeded")).ToHaveTextAsync(succeeded.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(row.GetByTestId("tool-stats-failed")).ToHaveTextAsync(failed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(row.GetByTestId("tool-stats-denied")).ToHaveTextAsync(denied.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(row.GetByTestId("tool-stats-timeouts")).ToHaveTextAsync(timeouts.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<double> BarHeightAsync(ILocator rect) =>
        double.Parse((await rect.GetAttributeAsync("height"))!, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d+(\.\d+)? m?s$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^\d+ B$")]
    private static partial Regex Bytes();
}
