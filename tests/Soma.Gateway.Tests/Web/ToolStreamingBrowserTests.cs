using Microsoft.Playwright;
using Soma.Testing.Tools;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// A streaming tool in the browser: its block shows the output growing while the tool runs, the durable output
/// replaces the live text at the end, and a reload mid-tool shows the output so far, then the rest, without a gap or a
/// repeated line.
/// </summary>
public sealed class ToolStreamingBrowserTests(StreamingToolBrowserFixture fixture) : IClassFixture<StreamingToolBrowserFixture>
{
    private const int Lines = 12;
    private const int HeldAfter = 4;

    [Fact]
    public async Task A_tool_block_grows_as_the_tool_writes_and_a_reload_mid_tool_resumes_without_gap_or_duplicate()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, "operator", ["admin"]));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        var composer = page.GetByTestId("composer");
        await composer.FillAsync($$"""[[tool:test.count {"count": {{Lines}}, "hold_after": {{HeldAfter}}, "delay_ms": 40}]]""");
        await composer.PressAsync("Enter");

        // Held after line 4: the block is open and shows exactly what the tool wrote so far, live.
        var tool = page.Locator("[data-testid=tool-call][data-tool='test.count']");
        var output = tool.GetByTestId("tool-output");
        await Expect(output).ToContainTextAsync($"line {HeldAfter}");
        Assert.Equal(CountTool.Expected(HeldAfter), await TextAsync(output));
        await Expect(output).ToHaveAttributeAsync("data-live", "true");
        await Expect(tool).ToHaveAttributeAsync("data-status", "running");
        await Expect(tool).ToHaveAttributeAsync("open", string.Empty);

        await page.ReloadAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");
        await Expect(output).ToContainTextAsync($"line {HeldAfter}");
        Assert.Equal(CountTool.Expected(HeldAfter), await TextAsync(output));
        await Expect(output).ToHaveAttributeAsync("data-live", "true");

        // Released after the first frame: the rest streams in; every frame is the output so far, never restarted, never with a hole.
        var expected = CountTool.Expected(Lines);
        var samples = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var frame = await page.EvaluateAsync<string[]>(
                "() => { const o = document.querySelector(\"[data-testid=tool-call][data-tool='test.count'] [data-testid=tool-output]\"); return o ? [o.dataset.live, o.textContent] : ['absent', '']; }");
            if (frame[0] != "true")
            {
                break;
            }

            samples.Add(frame[1]);
            if (samples.Count == 1)
            {
                fixture.Tool.Release();
            }

            await Task.Delay(15);
        }

        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.True(expected.StartsWith(s, StringComparison.Ordinal) && s.Length >= CountTool.Expected(HeldAfter).Length, $"not the output so far: '{s}'"));

        // The durable output replaced the live text: the same text, now final, with where it ran.
        await Expect(tool).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(output).ToHaveAttributeAsync("data-live", "false");
        Assert.Equal(expected, await TextAsync(output));
        await Expect(tool.GetByTestId("tool-sandbox")).ToHaveTextAsync("sandbox: none");
        await Expect(tool.GetByTestId("tool-truncated")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("tool-call")).ToHaveCountAsync(1);
        var answer = page.Locator("[data-testid=message][data-role=assistant]").First;
        await Expect(answer).ToHaveAttributeAsync("data-state", "done");
        await Expect(answer.GetByTestId("message-content")).ToContainTextAsync($"line {Lines}");
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        problems.AssertNone();
    }

    [Fact]
    public async Task Output_over_the_cap_is_marked_truncated_in_its_block()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, "operator", ["admin"]));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        // 3,000 lines are about 26,000 characters: more than the 16,000 a tool's output keeps.
        await page.GetByTestId("composer").FillAsync("""[[tool:test.count {"count": 3000}]]""");
        await page.GetByTestId("composer").PressAsync("Enter");

        var tool = page.Locator("[data-testid=tool-call][data-tool='test.count']");
        await Expect(tool).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(tool.GetByTestId("tool-truncated")).ToBeVisibleAsync();
        await Expect(tool.GetByTestId("tool-truncated")).ToHaveTextAsync("truncated");
        await Expect(tool.GetByTestId("tool-output")).ToHaveAttributeAsync("data-live", "false");
        var text = await TextAsync(tool.GetByTestId("tool-output"));
        Assert.StartsWith(text[..^1], CountTool.Expected(3000), StringComparison.Ordinal);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
        problems.AssertNone();
    }

    private static Task<string> TextAsync(ILocator locator) => locator.EvaluateAsync<string>("e => e.textContent");
}
