using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>With the demo model configured, the page says that answers are scripted, not an AI's.</summary>
public sealed class DemoModelBadgeTests(DemoModelBrowserFixture fixture) : IClassFixture<DemoModelBrowserFixture>
{
    [Fact]
    public async Task The_scripted_demo_model_badge_is_visible_when_the_demo_model_answers()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(ServerFixture.NewTenant()));

        var badge = page.GetByTestId("demo-model-badge");
        await Expect(badge).ToBeVisibleAsync();
        await Expect(badge).ToHaveTextAsync("scripted demo model");

        // And a message gets its scripted answer.
        await page.GetByTestId("new-session").ClickAsync();
        await page.GetByTestId("composer").FillAsync("hello badge");
        await page.GetByTestId("composer").PressAsync("Enter");
        await Expect(page.Locator("[data-testid=message][data-role=assistant]").First.GetByTestId("message-content")).ToHaveTextAsync("You said: hello badge");
        problems.AssertNone();
    }
}
