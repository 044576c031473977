using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Memory.Client;
using static Microsoft.Playwright.Assertions;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The memory panel in a browser against a real server with the embedded memory service: a turn with a tool call
/// leaves a user, a tool and an assistant memory, linked, that the sync worker delivers; the panel shows them and
/// searches them.
/// </summary>
public sealed class MemoryPanelTests(ChatBrowserFixture fixture) : IClassFixture<ChatBrowserFixture>
{
    // The demo model calls time.now for a message about the time; the markup must stay text wherever it is shown.
    internal const string Question = "What time is it? <img src=x onerror=alert(1)>";

    [Fact]
    public async Task The_panel_lists_the_turns_memories_stored_and_linked_searches_them_and_shows_markup_as_text()
    {
        var tenant = ServerFixture.NewTenant();

        // The server loads its model as it starts; a turn recalled before that finishes is answered by words alone and
        // rightly marked degraded (on a loaded machine the load can outlast a recall's wait), which this test is not about.
        using (var client = fixture.Server.For(tenant))
        {
            await EventuallyAsync(
                async () => JsonDocument.Parse(await client.GetStringAsync("/v1/health")).RootElement.GetProperty("components").EnumerateArray()
                    .Single(c => c.GetProperty("name").GetString() == "embedder").GetProperty("details").GetProperty("state").GetString(),
                state => state == "loaded",
                "the embedding model to load");
        }

        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        var composer = page.GetByTestId("composer");
        await composer.FillAsync(Question);
        await composer.PressAsync("Enter");
        await Expect(page.Locator("[data-testid=tool-call][data-tool='time.now']")).ToHaveAttributeAsync("data-status", "succeeded");
        var answer = page.Locator("[data-testid=message][data-role=assistant]");
        await Expect(answer).ToHaveAttributeAsync("data-state", "done");
        await Expect(page.GetByTestId("memory-degraded-note")).ToHaveCountAsync(0);

        // Alt+M opens the panel (the button says so), with the turn's three memories, each delivered.
        var panel = page.GetByTestId("memory-panel");
        await Expect(panel).ToBeHiddenAsync();
        await Expect(page.GetByTestId("toggle-memory")).ToHaveAttributeAsync("aria-keyshortcuts", "Alt+M");
        await page.Keyboard.PressAsync("Alt+m");
        await Expect(panel).ToBeVisibleAsync();
        await Expect(page.GetByTestId("toggle-memory")).ToHaveAttributeAsync("aria-expanded", "true");
        var items = panel.GetByTestId("memory-item");
        await Expect(items).ToHaveCountAsync(3);
        var user = panel.Locator("[data-testid=memory-item][data-role=user]");
        var tool = panel.Locator("[data-testid=memory-item][data-role=tool]");
        var assistant = panel.Locator("[data-testid=memory-item][data-role=assistant]");
        foreach (var item in new[] { user, tool, assistant })
        {
            await Expect(item.GetByTestId("memory-status").First).ToHaveTextAsync("stored");
        }

        await Expect(panel.GetByTestId("memory-count-queued")).ToHaveTextAsync("0");
        await Expect(panel.GetByTestId("memory-count-failed")).ToHaveTextAsync("0");
        await Expect(panel.GetByTestId("memory-count-stored")).Not.ToHaveTextAsync("0");

        // The remembered text is text: the tag is shown, never parsed, and nothing ran.
        await Expect(user.GetByTestId("memory-text")).ToHaveTextAsync(Question);
        await Expect(panel.Locator("img")).ToHaveCountAsync(0);
        Assert.Empty(dialogs);

        // Links read as relations between the listed memories.
        await Expect(assistant.Locator("[data-testid=memory-link][data-rel=answers]")).ToHaveTextAsync("answers → user message");
        await Expect(tool.Locator("[data-testid=memory-link][data-rel=used_by]")).ToHaveTextAsync("used by → answer");
        await Expect(user.Locator("[data-testid=memory-link][data-rel=answered_by]")).ToContainTextAsync("answered by → answer");

        // A link's target is a button to the memory it names.
        await Expect(user).Not.ToHaveAttributeAsync("data-highlighted", "true");
        await assistant.Locator("[data-testid=memory-link][data-rel=answers]").GetByTestId("memory-link-target").ClickAsync();
        await Expect(user).ToHaveAttributeAsync("data-highlighted", "true");
        await Expect(user).ToBeFocusedAsync();

        // Search in this session finds the message; the same search again is answered by the recall cache.
        var query = panel.GetByTestId("memory-query");
        await query.FillAsync("onerror");
        var results = panel.GetByTestId("memory-result");
        await Expect(results.First).ToHaveAttributeAsync("data-role", "user");
        await Expect(results.First.GetByTestId("memory-text")).ToHaveTextAsync(Question);
        await Expect(results.First.GetByTestId("memory-score")).ToContainTextAsync("score ");
        await Expect(panel.GetByTestId("memory-results-info")).ToContainTextAsync("in this session");
        await query.PressAsync("Enter");
        await Expect(panel.GetByTestId("memory-results-info")).ToContainTextAsync("cached");
        await panel.GetByTestId("memory-all-sessions").CheckAsync();
        await Expect(panel.GetByTestId("memory-results-info")).ToContainTextAsync("in all sessions");
        await Expect(results.First.GetByTestId("memory-text")).ToHaveTextAsync(Question);
        await Expect(panel.Locator("img")).ToHaveCountAsync(0);

        // A second turn: the panel refreshes itself when the answer is final.
        await composer.FillAsync("hello again");
        await composer.PressAsync("Enter");
        await Expect(answer.Nth(1)).ToHaveAttributeAsync("data-state", "done");
        await Expect(items).ToHaveCountAsync(5);
        await Expect(panel.Locator("[data-testid=memory-item][data-role=assistant]").Nth(1).GetByTestId("memory-status").First).ToHaveTextAsync("stored");

        // Escape closes it and gives the focus back to its button.
        await query.FocusAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(panel).ToBeHiddenAsync();
        await Expect(page.GetByTestId("toggle-memory")).ToBeFocusedAsync();
        Assert.Empty(dialogs);
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        problems.AssertNone();
    }

    [Fact]
    public async Task A_session_without_memories_says_so_and_a_long_memory_is_clipped_until_expanded()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        await page.GetByTestId("toggle-memory").ClickAsync();
        var panel = page.GetByTestId("memory-panel");
        await Expect(panel.GetByTestId("memory-list-status")).ToHaveTextAsync("Nothing remembered for this session yet.");
        await Expect(panel.GetByTestId("memory-item")).ToHaveCountAsync(0);

        var text = "remember this " + string.Concat(Enumerable.Repeat("lorem ipsum ", 40)) + "the end";
        var composer = page.GetByTestId("composer");
        await composer.FillAsync(text);
        await composer.PressAsync("Enter");
        var user = panel.Locator("[data-testid=memory-item][data-role=user]");
        await Expect(user.GetByTestId("memory-text")).ToHaveAttributeAsync("data-clipped", "true");
        await Expect(user.GetByTestId("memory-text")).Not.ToContainTextAsync("the end");
        await user.GetByTestId("memory-expand").ClickAsync();
        await Expect(user.GetByTestId("memory-text")).ToHaveTextAsync(text);
        await Expect(user.GetByTestId("memory-expand")).ToHaveAttributeAsync("aria-expanded", "true");
        problems.AssertNone();
    }
}

/// <summary>
/// Memory out of reach: the turn is answered anyway, with a quiet note that it ran without long-term memory; the
/// panel shows the turn's writes queued in the outbox and search says memory is unavailable.
/// </summary>
public sealed class MemoryDownPanelTests(MemoryDownBrowserFixture fixture) : IClassFixture<MemoryDownBrowserFixture>
{
    [Fact]
    public async Task With_memory_down_the_answer_arrives_with_a_degraded_note_and_the_writes_are_queued()
    {
        // The monitor probes every 1–1.5 s; the turn below should meet it already down (not merely failing its recall).
        var monitor = fixture.Server.Services.GetRequiredService<MemoryHealthMonitor>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (monitor.Mode != MemoryMode.Down && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(MemoryMode.Down, monitor.Mode);

        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");

        var composer = page.GetByTestId("composer");
        await composer.FillAsync(MemoryPanelTests.Question);
        await composer.PressAsync("Enter");
        var answer = page.Locator("[data-testid=message][data-role=assistant]");
        await Expect(answer).ToHaveAttributeAsync("data-state", "done");
        await Expect(answer.GetByTestId("message-content")).ToContainTextAsync("UTC");

        // A note in the conversation, at that turn, not an error.
        var note = page.GetByTestId("turn").First.GetByTestId("memory-degraded-note");
        await Expect(note).ToContainTextAsync("Answered without long-term memory: ");
        await Expect(note).ToHaveAttributeAsync("data-code", "memory.down");
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("turn-error")).ToHaveCountAsync(0);

        // The panel: every write waiting in the outbox, none lost, none failed.
        await page.Keyboard.PressAsync("Alt+m");
        var panel = page.GetByTestId("memory-panel");
        var items = panel.GetByTestId("memory-item");
        await Expect(items).ToHaveCountAsync(3);
        await Expect(panel.Locator(".memory-item-head [data-testid=memory-status][data-status=pending]")).ToHaveCountAsync(3);
        await Expect(panel.Locator("[data-testid=memory-item][data-role=user] [data-testid=memory-status]").First).ToHaveTextAsync("queued");
        await Expect(panel.GetByTestId("memory-count-stored")).ToHaveTextAsync("0");
        await Expect(panel.GetByTestId("memory-count-failed")).ToHaveTextAsync("0");
        await Expect(panel.GetByTestId("memory-count-queued")).Not.ToHaveTextAsync("0");

        // Search cannot reach memory: it says so, and that the writes will still be delivered.
        await panel.GetByTestId("memory-query").FillAsync("time");
        await Expect(panel.GetByTestId("memory-results-info")).ToHaveTextAsync("Memory unavailable, writes are queued and will be delivered.");
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        problems.AssertNone();
    }
}
