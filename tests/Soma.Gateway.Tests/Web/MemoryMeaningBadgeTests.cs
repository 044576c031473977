using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Vectors;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The memory panel on a default server (recall by meaning on, the in-process model): a search that shares no word with
/// what was said finds it, and the badge says it matched by meaning.
/// </summary>
public sealed class MemoryMeaningBadgeTests(ChatBrowserFixture fixture) : IClassFixture<ChatBrowserFixture>
{
    [Fact]
    public async Task A_search_sharing_no_word_with_a_message_finds_it_and_the_badge_says_meaning()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        var composer = page.GetByTestId("composer");
        await composer.FillAsync("we celebrated Emma turning six with a concert");
        await composer.PressAsync("Enter");
        await Expect(page.Locator("[data-testid=message][data-role=assistant]")).ToHaveAttributeAsync("data-state", "done");
        await page.GetByTestId("toggle-memory").ClickAsync();
        var panel = page.GetByTestId("memory-panel");
        await Expect(panel.GetByTestId("memory-count-queued")).ToHaveTextAsync("0");

        // The memories' vectors are in before the first search, so no words-only answer is cached for it.
        var vectors = fixture.Server.Services.GetRequiredService<IMemoryVectorStore>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await vectors.CountPendingAsync() > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The embedding pass did not embed the turn's memories within 2 minutes.");
            await Task.Delay(50);
        }

        await fixture.Server.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();

        await panel.GetByTestId("memory-query").FillAsync("my daughter's birthday party");
        var user = panel.Locator("[data-testid=memory-result][data-role=user]");
        await Expect(user.First).ToContainTextAsync("Emma turning six");
        await Expect(user.First.GetByTestId("memory-match")).ToHaveTextAsync("meaning");
        await Expect(user.First.GetByTestId("memory-match")).ToHaveAttributeAsync("data-match", "meaning");
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        problems.AssertNone();
    }
}
