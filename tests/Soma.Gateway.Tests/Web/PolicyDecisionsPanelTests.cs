using Soma.Gateway.Tests.Policy;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// Denials in a browser: a user's turn calls a tool the policy does not grant, and the chat's tool card says why
/// without being opened; an operator opens "Policy decisions", sees that denial with its reason, filters the list, and
/// gets the server's problem when a filter is wrong. A user without the admin role is not offered the panel.
/// </summary>
public sealed class PolicyDecisionsPanelTests(PolicyBrowserFixture fixture) : IClassFixture<PolicyBrowserFixture>
{
    [Fact]
    public async Task A_denied_tool_shows_its_reason_in_the_chat_and_an_operator_finds_it_in_the_policy_decisions()
    {
        var tenant = ServerFixture.NewTenant();

        // Alice (role user) asks for the time and a sum: time.now runs, math.evaluate is denied.
        await using (var context = await fixture.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            var problems = PageProblems.Watch(page);
            await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, "alice", ["user"]));
            await page.GetByTestId("new-session").ClickAsync();
            await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");
            await Expect(page.GetByTestId("open-policy")).ToBeHiddenAsync();
            var composer = page.GetByTestId("composer");
            await composer.FillAsync("What time is it? And calculate 2+3");
            await composer.PressAsync("Enter");

            var denied = page.Locator("[data-testid=tool-call][data-tool='math.evaluate']");
            await Expect(denied).ToHaveAttributeAsync("data-status", "denied");
            await Expect(denied).Not.ToHaveAttributeAsync("open", "");
            var reason = denied.GetByTestId("tool-denied-reason");
            await Expect(reason).ToBeVisibleAsync();
            await Expect(reason).ToHaveTextAsync("Denied: " + PolicyDecisionsApiTests.DeniedReason);
            // The reason is part of the card's button, so a screen reader announces it with the tool's name.
            await Expect(denied.Locator("summary")).ToHaveAccessibleNameAsync(new System.Text.RegularExpressions.Regex("math\\.evaluate.*denied.*Denied: no role of the caller grants tool", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
            await Expect(page.Locator("[data-testid=tool-call][data-tool='time.now']")).ToHaveAttributeAsync("data-status", "succeeded");
            await Expect(page.GetByTestId("run-status").First).ToHaveAttributeAsync("data-state", "succeeded");
            problems.AssertNone();
        }

        // An operator of the same tenant opens the decisions.
        await using (var context = await fixture.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            var problems = PageProblems.Watch(page);
            await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, "operator", ["admin"]));
            var open = page.GetByTestId("open-policy");
            await Expect(open).ToBeVisibleAsync();
            await open.ClickAsync();
            var panel = page.GetByTestId("policy-panel");
            await Expect(panel).ToBeVisibleAsync();
            await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Dialog, new() { Name = "Policy decisions" })).ToBeVisibleAsync();

            var rows = panel.GetByTestId("policy-decision");
            await Expect(rows).ToHaveCountAsync(2);
            var deny = panel.Locator("[data-testid=policy-decision][data-decision=deny]");
            await Expect(deny.GetByTestId("policy-tool")).ToHaveTextAsync("math.evaluate");
            await Expect(deny.GetByTestId("policy-decision-badge")).ToHaveTextAsync("deny");
            await Expect(deny.GetByTestId("policy-decision-badge")).ToHaveAttributeAsync("data-state", "denied");
            await Expect(deny.GetByTestId("policy-reasons")).ToHaveTextAsync(PolicyDecisionsApiTests.DeniedReason);
            await Expect(deny.GetByTestId("policy-engine")).ToHaveTextAsync("rego");
            await Expect(deny.GetByTestId("policy-duration")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+(\.\d+)? m?s$"));
            var version = await deny.GetByTestId("policy-version").GetAttributeAsync("title");
            Assert.False(string.IsNullOrEmpty(version));
            await Expect(deny.GetByTestId("policy-version")).ToHaveTextAsync(version!.Length > 12 ? version[..12] + "…" : version);
            await Expect(panel.Locator("[data-testid=policy-decision][data-decision=allow]").GetByTestId("policy-tool")).ToHaveTextAsync("time.now");

            // Filters: denied only, then one tool, then a tool nobody called.
            await panel.GetByTestId("policy-decision-filter").SelectOptionAsync("deny");
            await Expect(rows).ToHaveCountAsync(1);
            await Expect(rows.GetByTestId("policy-tool")).ToHaveTextAsync("math.evaluate");
            await panel.GetByTestId("policy-decision-filter").SelectOptionAsync("");

            // Both again before the next filter: otherwise the count below can pass on the denied-only list still shown.
            await Expect(rows).ToHaveCountAsync(2);
            await panel.GetByTestId("policy-tool-filter").FillAsync("time.now");
            await Expect(rows).ToHaveCountAsync(1);
            await Expect(rows.GetByTestId("policy-tool")).ToHaveTextAsync("time.now");
            await Expect(rows).ToHaveAttributeAsync("data-decision", "allow");
            await panel.GetByTestId("policy-tool-filter").FillAsync("shell.exec");
            await Expect(rows).ToHaveCountAsync(0);
            await Expect(panel.GetByTestId("policy-status")).ToHaveTextAsync("No decisions match these filters.");
            await Expect(panel.GetByTestId("policy-table")).ToBeHiddenAsync();

            // A name the API refuses: its problem detail is shown.
            await panel.GetByTestId("policy-tool-filter").FillAsync("not a tool");
            await Expect(panel.GetByTestId("policy-status")).ToHaveAttributeAsync("data-kind", "error");
            await Expect(panel.GetByTestId("policy-status")).ToContainTextAsync("'tool' must be a tool name");

            // Clearing the filter and refreshing lists both again; Esc closes and gives the focus back.
            await panel.GetByTestId("policy-tool-filter").FillAsync("");
            await panel.GetByTestId("policy-refresh").ClickAsync();
            await Expect(rows).ToHaveCountAsync(2);
            await page.Keyboard.PressAsync("Escape");
            await Expect(panel).ToBeHiddenAsync();
            await Expect(open).ToBeFocusedAsync();
            problems.AssertNone();
        }
    }

    [Fact]
    public async Task An_operator_of_a_tenant_without_tool_calls_sees_the_empty_state()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(ServerFixture.NewTenant(), "operator", ["admin"]));
        await page.GetByTestId("open-policy").ClickAsync();
        var panel = page.GetByTestId("policy-panel");
        await Expect(panel.GetByTestId("policy-status")).ToHaveTextAsync("No policy decisions yet: they appear when an agent calls a tool.");
        await Expect(panel.GetByTestId("policy-decision")).ToHaveCountAsync(0);
    }
}
