using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The memory panel's search modes in a browser against a real server whose memory service has recall by meaning off:
/// each result carries a badge saying why it matched, the mode selector searches again in the chosen mode, and
/// searching by meaning says that it is off instead of failing.
/// </summary>
public sealed class MemorySearchModeTests(MeaningOffBrowserFixture fixture) : IClassFixture<MeaningOffBrowserFixture>
{
    [Fact]
    public async Task Each_result_says_why_it_matched_and_switching_the_mode_searches_again_in_that_mode()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        var composer = page.GetByTestId("composer");
        await composer.FillAsync("my periwinkleorb glows at night");
        await composer.PressAsync("Enter");
        await Expect(page.Locator("[data-testid=message][data-role=assistant]")).ToHaveAttributeAsync("data-state", "done");
        await page.GetByTestId("toggle-memory").ClickAsync();
        var panel = page.GetByTestId("memory-panel");
        await Expect(panel.Locator("[data-testid=memory-item][data-role=user] [data-testid=memory-status]").First).ToHaveTextAsync("stored");

        // Every write of the turn delivered, so none moves the namespace on (and empties the recall cache) mid-test.
        await Expect(panel.GetByTestId("memory-count-queued")).ToHaveTextAsync("0");

        // Words and meaning by default: with meaning off the memory is found by its words, and the badge says so.
        var mode = panel.GetByTestId("memory-mode");
        await Expect(mode).ToHaveValueAsync("hybrid");
        var results = panel.GetByTestId("memory-result");
        var info = panel.GetByTestId("memory-results-info");
        var request = await page.RunAndWaitForRequestAsync(
            () => panel.GetByTestId("memory-query").FillAsync("periwinkleorb"), r => r.Url.Contains("/v1/memory?", StringComparison.Ordinal));
        Assert.Contains("mode=hybrid", request.Url, StringComparison.Ordinal);
        var user = panel.Locator("[data-testid=memory-result][data-role=user]");
        await Expect(user.GetByTestId("memory-match")).ToHaveTextAsync("words");
        await Expect(user.GetByTestId("memory-match")).ToHaveAttributeAsync("data-match", "text");
        await Expect(user.GetByTestId("memory-match")).ToHaveAttributeAsync("title", "Found by its words");
        await Expect(info).Not.ToContainTextAsync("cached");

        // Words only: searched again in that mode (its own cache entry), with the same badge.
        request = await page.RunAndWaitForRequestAsync(() => mode.SelectOptionAsync("text"), r => r.Url.Contains("/v1/memory?", StringComparison.Ordinal));
        Assert.Contains("mode=text", request.Url, StringComparison.Ordinal);
        await Expect(info).ToHaveAttributeAsync("data-kind", "results");
        await Expect(info).Not.ToContainTextAsync("cached");
        await Expect(user.GetByTestId("memory-match")).ToHaveTextAsync("words");

        // Meaning only: off on this server, and the panel says so in words, without a banner.
        request = await page.RunAndWaitForRequestAsync(() => mode.SelectOptionAsync("vector"), r => r.Url.Contains("/v1/memory?", StringComparison.Ordinal));
        Assert.Contains("mode=vector", request.Url, StringComparison.Ordinal);
        await Expect(info).ToHaveTextAsync("Search by meaning is off on this server: search by words, or by words + meaning (which then finds by words).");
        await Expect(info).ToHaveAttributeAsync("data-kind", "error");
        await Expect(results).ToHaveCountAsync(0);

        // Back to words and meaning: the first answer again, from the recall cache.
        await mode.SelectOptionAsync("hybrid");
        await Expect(info).ToContainTextAsync("cached");
        await Expect(user.GetByTestId("memory-match")).ToHaveTextAsync("words");
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        problems.AssertNone();
    }
}
