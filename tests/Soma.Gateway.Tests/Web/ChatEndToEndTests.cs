using System.Text.Json;
using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The whole chat path in a browser: the page posts a message, the worker runs <c>chat.turn</c> against the loopback
/// model server, and the answer, its tool call and the run come back over the session's event stream.
/// </summary>
public sealed partial class ChatEndToEndTests(ChatBrowserFixture fixture) : IClassFixture<ChatBrowserFixture>
{
    private const int Words = 300;

    [Fact]
    public async Task A_message_streams_its_answer_and_tool_call_and_a_reload_mid_answer_finishes_it_without_duplication()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");
        var composer = page.GetByTestId("composer");
        var answers = page.Locator("[data-testid=message][data-role=assistant]");

        // A question about the time: the demo model calls time.now, then answers with its result.
        await composer.FillAsync("What time is it?");
        await composer.PressAsync("Enter");
        var tool = page.Locator("[data-testid=tool-call][data-tool='time.now']");
        await Expect(tool).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(answers.First).ToHaveAttributeAsync("data-state", "done");
        await Expect(answers.First.GetByTestId("message-content")).ToContainTextAsync("UTC");
        await Expect(page.GetByTestId("run-status").First).ToHaveAttributeAsync("data-state", "succeeded");
        await tool.Locator("summary").ClickAsync();
        await Expect(tool.GetByTestId("tool-output")).ToContainTextAsync("UTC");

        // A long, slow answer: seen while it streams, then the page is reloaded in the middle of it.
        await composer.FillAsync($"[[words:{Words}]] [[chunk-delay:15]] tell me a long story");
        await composer.PressAsync("Enter");
        var second = answers.Nth(1);
        await Expect(second).ToHaveAttributeAsync("data-state", "streaming");
        await Expect(second.GetByTestId("message-content")).ToContainTextAsync("w20 ");
        var beforeReload = await second.GetByTestId("message-content").InnerTextAsync();
        Assert.StartsWith("w1 w2 w3", beforeReload, StringComparison.Ordinal);
        var messageId = await second.GetAttributeAsync("data-message-id");

        await page.ReloadAsync();
        var samples = new List<string>();
        string state;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            var snapshot = await page.EvaluateAsync<JsonElement>(
                "id => { const m = document.querySelector(`[data-message-id='${id}']`); return m ? [m.dataset.state, m.querySelector('[data-testid=message-content]').innerText] : ['absent', '']; }",
                messageId);
            state = snapshot[0].GetString()!;
            if (state == "streaming" && snapshot[1].GetString() is { Length: > 0 })
            {
                samples.Add(snapshot[1].GetString()!);
            }

            await Task.Delay(25);
        }
        while (state != "done" && DateTime.UtcNow < deadline);

        var expected = string.Join(' ', Enumerable.Range(1, Words).Select(i => "w" + i));
        await Expect(page.Locator($"[data-message-id='{messageId}']").GetByTestId("message-content")).ToHaveTextAsync(expected);
        Assert.NotEmpty(samples);
        Assert.True(samples[0].Length >= beforeReload.Length, $"after the reload the answer restarted: '{samples[0]}'");
        foreach (var sample in samples)
        {
            // Every frame of the streamed text is a prefix of the answer: no gap, no repeated words.
            Assert.True(expected.StartsWith(sample.TrimEnd(), StringComparison.Ordinal), $"streamed text is not a prefix of the answer: '{sample}'");
        }

        // The history came back with the reload: both turns, each message and tool call once.
        await Expect(page.GetByTestId("turn")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=message][data-role=user]")).ToHaveCountAsync(2);
        await Expect(answers).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("tool-call")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("run-status").Nth(1)).ToHaveAttributeAsync("data-state", "succeeded");
        Assert.Equal(Words, WordNumber().Matches(await answers.Nth(1).GetByTestId("message-content").InnerTextAsync()).Count);
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        problems.AssertNone();
    }

    [GeneratedRegex(@"\bw\d+\b")]
    private static partial Regex WordNumber();
}
