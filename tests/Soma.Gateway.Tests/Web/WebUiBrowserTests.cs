using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>The web UI in a real headless Chromium against a real server (the event stream stubbed where noted).</summary>
public sealed class WebUiBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Signing_in_with_the_link_shows_the_sidebar_and_keeps_the_token_out_of_the_URL_cookies_and_local_storage()
    {
        var tenant = ServerFixture.NewTenant();
        var token = Server.IssueToken(tenant);
        using var api = Server.For(tenant);
        await api.PostAsJsonAsync("/v1/sessions", new { title = "existing" });

        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        var requests = new List<IRequest>();
        page.Request += (_, request) => requests.Add(request);

        await page.GotoAsync("/#token=" + token);
        await Expect(page.GetByTestId("sidebar")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("session-name")).ToHaveTextAsync("existing");
        await Expect(page.GetByTestId("signin")).ToBeHiddenAsync();

        Assert.DoesNotContain("token", page.Url, StringComparison.Ordinal);
        Assert.Equal(token, await page.EvaluateAsync<string?>("() => sessionStorage.getItem('soma.token')"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
        Assert.Equal(string.Empty, await page.EvaluateAsync<string>("() => document.cookie"));
        Assert.Empty(await context.CookiesAsync());

        // The token travels only as a bearer header, never in a query string.
        var listing = Assert.Single(requests, r => r.Url.Contains("/v1/sessions?", StringComparison.Ordinal));
        Assert.Equal("Bearer " + token, (await listing.AllHeadersAsync())["authorization"]);
        Assert.DoesNotContain(requests, r => new Uri(r.Url).Query.Contains(token, StringComparison.Ordinal));

        // A reload stays signed in (session storage lives as long as the tab).
        await page.ReloadAsync();
        await Expect(page.GetByTestId("session-name")).ToHaveTextAsync("existing");
        Assert.Empty(await context.CookiesAsync());
        problems.AssertNone();
    }

    [Fact]
    public async Task Without_a_token_the_sign_in_screen_rejects_a_bad_token_accepts_a_pasted_one_and_signing_out_forgets_it()
    {
        var tenant = ServerFixture.NewTenant();
        var token = Server.IssueToken(tenant);
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);

        await page.GotoAsync("/");
        await Expect(page.GetByTestId("signin")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("app")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("token-input")).ToBeFocusedAsync();

        await page.GetByTestId("token-input").FillAsync("not-a-token");
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync("not accepted");
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('soma.token')"));

        await page.GetByTestId("token-input").FillAsync("Bearer " + token);
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page.GetByTestId("sidebar")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("session-empty")).ToBeVisibleAsync();
        Assert.Equal(token, await page.EvaluateAsync<string?>("() => sessionStorage.getItem('soma.token')"));

        await page.GetByTestId("sign-out").ClickAsync();
        await Expect(page.GetByTestId("signin")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('soma.token')"));

        // An expired token in a link lands on the sign-in screen with the reason.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        var expired = Server.IssueToken(tenant, lifetime: TimeSpan.FromHours(1), clock: clock);
        await page.GotoAsync("/#token=" + expired);
        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync("not accepted");
        await Expect(page.GetByTestId("signin")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('soma.token')"));
        Assert.DoesNotContain("token", page.Url, StringComparison.Ordinal);
        problems.AssertNone();
    }

    [Fact]
    public async Task Sessions_are_listed_newest_first_and_created_renamed_and_deleted_from_the_sidebar()
    {
        var tenant = ServerFixture.NewTenant();
        using var api = Server.For(tenant);
        await api.PostAsJsonAsync("/v1/sessions", new { title = "older" });
        await api.PostAsJsonAsync("/v1/sessions", new { title = "newer" });
        await using var context = await fixture.NewContextAsync();
        var page = await OpenSignedInAsync(context, Server.IssueToken(tenant));
        var problems = PageProblems.Watch(page);
        await EventStreamStub.AttachAsync(page);
        var items = page.GetByTestId("session-item");
        await Expect(page.GetByTestId("session-name")).ToHaveTextAsync(["newer", "older"]);

        // Create: the new session goes on top, is selected, and the composer is ready.
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(items).ToHaveCountAsync(3);
        await Expect(items.First).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByTestId("session-title")).ToHaveTextAsync("Untitled session");
        await Expect(page.GetByTestId("composer")).ToBeFocusedAsync();
        var id = await items.First.GetAttributeAsync("data-session-id");
        Assert.Matches(new Regex("session=" + id), page.Url);
        Assert.Equal(3, (await api.GetFromJsonAsync<JsonElement>("/v1/sessions")).GetProperty("items").GetArrayLength());

        // Rename inline: Enter saves.
        await items.First.GetByTestId("rename-session").ClickAsync();
        var input = page.GetByTestId("rename-input");
        await Expect(input).ToBeFocusedAsync();
        await input.FillAsync("Quarterly report");
        await page.RunAndWaitForResponseAsync(() => input.PressAsync("Enter"), r => r.Request.Method == "PATCH" && r.Url.EndsWith(id!, StringComparison.Ordinal));
        await Expect(items.First.GetByTestId("session-name")).ToHaveTextAsync("Quarterly report");
        await Expect(page.GetByTestId("session-title")).ToHaveTextAsync("Quarterly report");
        await Expect(items.First.GetByTestId("session-select")).ToBeFocusedAsync();
        Assert.Equal("Quarterly report", (await api.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}")).GetProperty("title").GetString());

        // Rename: Escape cancels.
        await items.Nth(1).GetByTestId("rename-session").ClickAsync();
        await input.FillAsync("never saved");
        await input.PressAsync("Escape");
        await Expect(page.GetByTestId("session-name")).ToHaveTextAsync(["Quarterly report", "newer", "older"]);

        // Delete asks first; Cancel keeps the session.
        await items.First.GetByTestId("delete-session").ClickAsync();
        await Expect(page.GetByTestId("confirm-delete")).ToBeVisibleAsync();
        await page.GetByTestId("cancel-delete").ClickAsync();
        await Expect(items).ToHaveCountAsync(3);

        await items.First.GetByTestId("delete-session").ClickAsync();
        await page.RunAndWaitForResponseAsync(() => page.GetByTestId("confirm-delete").ClickAsync(), r => r.Request.Method == "DELETE");
        await Expect(page.GetByTestId("session-name")).ToHaveTextAsync(["newer", "older"]);
        await Expect(page.GetByTestId("session-title")).ToHaveTextAsync("No session selected");
        await Expect(page.GetByTestId("composer")).ToBeDisabledAsync();
        var remaining = (await api.GetFromJsonAsync<JsonElement>("/v1/sessions")).GetProperty("items");
        Assert.Equal(["newer", "older"], remaining.EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        problems.AssertNone();
    }

    [Fact]
    public async Task More_than_a_page_of_sessions_loads_on_demand()
    {
        var tenant = ServerFixture.NewTenant();
        using var api = Server.For(tenant);
        for (var i = 1; i <= 53; i++)
        {
            (await api.PostAsJsonAsync("/v1/sessions", new { title = $"s{i}" })).EnsureSuccessStatusCode();
        }

        await using var context = await fixture.NewContextAsync();
        var page = await OpenSignedInAsync(context, Server.IssueToken(tenant));
        var problems = PageProblems.Watch(page);
        var items = page.GetByTestId("session-item");
        await Expect(items).ToHaveCountAsync(50);
        await Expect(items.First.GetByTestId("session-name")).ToHaveTextAsync("s53");
        await page.GetByTestId("load-more-sessions").ClickAsync();
        await Expect(items).ToHaveCountAsync(53);
        await Expect(items.Last.GetByTestId("session-name")).ToHaveTextAsync("s1");
        await Expect(page.GetByTestId("load-more-sessions")).ToBeHiddenAsync();
        problems.AssertNone();
    }

    [Fact]
    public async Task A_session_deleted_elsewhere_says_why_its_events_cannot_be_followed()
    {
        var tenant = ServerFixture.NewTenant();
        using var api = Server.For(tenant);
        var created = await (await api.PostAsJsonAsync("/v1/sessions", new { title = "gone soon" })).Content.ReadFromJsonAsync<JsonElement>();
        await using var context = await fixture.NewContextAsync();
        var page = await OpenSignedInAsync(context, Server.IssueToken(tenant));
        var problems = PageProblems.Watch(page);
        await Expect(page.GetByTestId("session-name")).ToHaveTextAsync("gone soon");

        await api.DeleteAsync($"/v1/sessions/{created.GetProperty("id").GetString()}");
        await page.GetByTestId("session-select").ClickAsync();
        await Expect(page.GetByTestId("error-banner")).ToContainTextAsync("cannot be followed");
        await Expect(page.GetByTestId("error-banner")).ToContainTextAsync("does not exist");
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "failed");
        problems.AssertNone();
    }

    [Fact]
    public async Task Keyboard_Alt_N_creates_a_session_slash_focuses_the_composer_and_Enter_sends_while_Shift_Enter_adds_a_line()
    {
        var tenant = ServerFixture.NewTenant();
        await using var context = await fixture.NewContextAsync();
        var page = await OpenSignedInAsync(context, Server.IssueToken(tenant));
        var problems = PageProblems.Watch(page);
        await EventStreamStub.AttachAsync(page);
        var posts = new List<string>();
        await page.RouteAsync("**/v1/sessions/*/messages", async route =>
        {
            posts.Add(route.Request.PostData ?? string.Empty);
            await route.FulfillAsync(new RouteFulfillOptions { Status = 202, ContentType = "application/json", Body = "{\"message_id\":\"m-1\",\"run_id\":\"r-1\"}" });
        });
        var composer = page.GetByTestId("composer");
        var send = page.GetByTestId("send");
        await Expect(composer).ToBeDisabledAsync();

        await page.Keyboard.PressAsync("Alt+KeyN");
        await Expect(page.GetByTestId("session-item")).ToHaveCountAsync(1);
        await Expect(composer).ToBeFocusedAsync();
        await Expect(send).ToBeDisabledAsync();

        await page.GetByTestId("session-title").ClickAsync();
        await Expect(composer).Not.ToBeFocusedAsync();
        await page.Keyboard.PressAsync("/");
        await Expect(composer).ToBeFocusedAsync();
        await Expect(composer).ToHaveValueAsync(string.Empty);

        await page.Keyboard.TypeAsync("   ");
        await Expect(send).ToBeDisabledAsync();
        await composer.FillAsync("first line");
        await Expect(send).ToBeEnabledAsync();
        await composer.PressAsync("Shift+Enter");
        await page.Keyboard.TypeAsync("second line");
        await Expect(composer).ToHaveValueAsync("first line\nsecond line");
        Assert.Empty(posts);

        await composer.PressAsync("Enter");
        await Expect(composer).ToHaveValueAsync(string.Empty);
        await Expect(page.Locator("[data-testid=message][data-message-id='m-1'][data-role=user]")).ToContainTextAsync("second line");
        Assert.Equal("first line\nsecond line", JsonDocument.Parse(Assert.Single(posts)).RootElement.GetProperty("content").GetString());
        await Expect(send).ToBeDisabledAsync();
        problems.AssertNone();
    }

    [Fact]
    public async Task Markup_in_messages_is_shown_as_text_and_never_becomes_elements()
    {
        const string Hostile = "<img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script> <iframe src=\"javascript:window.__pwned=3\"></iframe>";
        await using var session = await OpenSessionAsync();
        var (page, problems) = (session.Page, session.Problems);
        var stub = await EventStreamStub.AttachAsync(page);
        stub.Enqueue(
            EventStreamStub.Event("conversation.user_message", new { MessageId = "u-1", Content = Hostile }, id: 1),
            EventStreamStub.Event("conversation.assistant_final", new
            {
                MessageId = "a-1",
                Content = "You wrote `<b>` and " + Hostile + "\n\n**bold** *it* [site](https://example.com/) [bad](javascript:alert(1)) ![pic](https://example.com/x.png)\n\n```html\n<script>alert(1)</script>\n```",
                FinishReason = "stop",
            }, id: 2));
        await SelectFirstSessionAsync(page);

        var user = page.Locator("[data-testid=message][data-role=user]");
        var assistant = page.Locator("[data-testid=message][data-role=assistant]");
        await Expect(user.GetByTestId("message-content")).ToHaveTextAsync(new Regex(Regex.Escape("<img src=x onerror=\"window.__pwned=1\">")));
        await Expect(assistant).ToHaveAttributeAsync("data-state", "done");
        await Expect(assistant).ToContainTextAsync("<script>window.__pwned=2</script>");
        await Expect(assistant.Locator("pre code")).ToHaveTextAsync("<script>alert(1)</script>");

        var messages = page.GetByTestId("messages");
        foreach (var selector in new[] { "img", "script", "iframe", "b", "[onerror]", "[src]" })
        {
            await Expect(messages.Locator(selector)).ToHaveCountAsync(0);
        }

        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__pwned"));
        await Expect(assistant.Locator("strong")).ToHaveTextAsync("bold");
        await Expect(assistant.Locator("em")).ToHaveTextAsync("it");
        var link = assistant.Locator("a[href='https://example.com/']");
        await Expect(link).ToHaveTextAsync("site");
        await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await Expect(assistant.Locator("a")).ToHaveCountAsync(2);
        await Expect(assistant.Locator("a[href^='javascript']")).ToHaveCountAsync(0);
        problems.AssertNone();
    }

    [Fact]
    public async Task Events_render_deltas_tool_calls_and_run_steps_and_a_reconnect_resumes_without_duplicates()
    {
        await using var session = await OpenSessionAsync();
        var (page, problems) = (session.Page, session.Problems);
        var stub = await EventStreamStub.AttachAsync(page);
        stub.Enqueue(
            EventStreamStub.Event("conversation.user_message", new { MessageId = "u-1", Content = "What time is it?" }, id: 1),
            EventStreamStub.Event("run.accepted", new { RunVersion = 1, Workflow = new { Name = "chat.turn", Version = 1 } }, id: 2),
            EventStreamStub.Event("run.started", new { RunVersion = 2, Workflow = new { Name = "chat.turn", Version = 1 } }, id: 3),
            EventStreamStub.Event("step.started", new { StepId = "model", Attempt = 1, Name = "model" }, id: 4),
            EventStreamStub.Event("tool.requested", new { ToolCallId = "call-1", Tool = "time.now", Arguments = new { Zone = "UTC" } }, id: 5),
            EventStreamStub.Event("tool.allowed", new { ToolCallId = "call-1", Tool = "time.now" }, id: 6),
            EventStreamStub.Event("tool.output", new { ToolCallId = "call-1", Tool = "time.now", Chunk = "2026-01-02T09:00:00Z", Index = 0, Bytes = 20 }),
            EventStreamStub.Event("tool.succeeded", new { ToolCallId = "call-1", Tool = "time.now", DurationMs = 3 }, id: 7),
            EventStreamStub.Event("conversation.assistant_delta", new { MessageId = "a-1", Delta = "It is", Index = 0 }),
            EventStreamStub.Event("conversation.assistant_delta", new { MessageId = "a-1", Delta = " nine", Index = 1 }),
            EventStreamStub.Event("something.new", new { Whatever = true }, id: 8));
        await SelectFirstSessionAsync(page);

        var answer = page.Locator("[data-testid=message][data-message-id='a-1']");
        await Expect(answer.GetByTestId("message-content")).ToHaveTextAsync("It is nine");
        await Expect(answer).ToHaveAttributeAsync("data-state", "streaming");
        await Expect(answer).ToHaveAttributeAsync("aria-busy", "true");
        await Expect(answer).ToHaveAttributeAsync("data-role", "assistant");
        var tool = page.Locator("[data-testid=tool-call][data-tool='time.now']");
        await Expect(tool).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(tool).Not.ToHaveAttributeAsync("open", string.Empty);
        await Expect(page.GetByTestId("run-status")).ToHaveAttributeAsync("data-state", "running");

        // The reconnect: the server sends the answer so far as one index-0 delta, then the live ones.
        stub.Enqueue(
            EventStreamStub.Event("conversation.assistant_delta", new { MessageId = "a-1", Delta = "It is nine o'clock", Index = 0 }),
            EventStreamStub.Event("conversation.assistant_delta", new { MessageId = "a-1", Delta = " UTC.", Index = 3 }));
        await Expect(answer.GetByTestId("message-content")).ToHaveTextAsync("It is nine o'clock UTC.");
        Assert.Equal("8", stub.Requests.Where(r => r.Scripted).ElementAt(1).LastEventId);
        Assert.Null(stub.Requests[0].LastEventId);
        Assert.All(stub.Requests, r => Assert.StartsWith("Bearer ", r.Authorization, StringComparison.Ordinal));

        stub.Enqueue(
            EventStreamStub.Event("conversation.assistant_final", new
            {
                MessageId = "a-1",
                Content = "It is **nine** o'clock UTC.",
                FinishReason = "stop",
                Model = "soma-dev",
                Usage = new { InputTokens = 12, OutputTokens = 7 },
            }, id: 9),
            EventStreamStub.Event("conversation.assistant_delta", new { MessageId = "a-1", Delta = " late", Index = 4 }),
            EventStreamStub.Event("step.succeeded", new { StepId = "model", Attempt = 1, DurationMs = 420 }, id: 10),
            EventStreamStub.Event("run.succeeded", new { RunVersion = 6 }, id: 11));
        await Expect(answer).ToHaveAttributeAsync("data-state", "done");
        await Expect(answer).ToHaveAttributeAsync("aria-busy", "false");
        await Expect(answer.GetByTestId("message-content")).ToHaveTextAsync("It is nine o'clock UTC.");
        await Expect(answer.Locator("strong")).ToHaveTextAsync("nine");
        await Expect(answer.GetByTestId("message-meta")).ToContainTextAsync("12 in / 7 out tokens");
        await Expect(page.Locator("[data-testid=message][data-message-id='a-1']")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("tool-call")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("turn")).ToHaveCountAsync(1);

        var run = page.GetByTestId("run-status");
        await Expect(run).ToHaveAttributeAsync("data-state", "succeeded");
        await Expect(run).ToContainTextAsync("chat.turn v1");
        await Expect(run.GetByTestId("run-step")).ToHaveAttributeAsync("data-state", "succeeded");
        await Expect(run.GetByTestId("run-step")).ToBeHiddenAsync();
        await run.Locator("summary").ClickAsync();
        await Expect(run.GetByTestId("run-step")).ToContainTextAsync("420 ms");

        await tool.Locator("summary").ClickAsync();
        await Expect(tool.GetByTestId("tool-arguments")).ToContainTextAsync("\"zone\": \"UTC\"");
        await Expect(tool.GetByTestId("tool-output")).ToHaveTextAsync("2026-01-02T09:00:00Z");
        await Expect(page.GetByTestId("turn-pending")).ToBeHiddenAsync();
        problems.AssertNone();
    }

    [Fact]
    public async Task A_turn_error_is_shown_on_the_turn_and_as_a_dismissable_banner()
    {
        await using var session = await OpenSessionAsync();
        var (page, problems) = (session.Page, session.Problems);
        var stub = await EventStreamStub.AttachAsync(page);
        stub.Enqueue(
            EventStreamStub.Event("conversation.user_message", new { MessageId = "u-1", Content = "hello" }, id: 1),
            EventStreamStub.Event("conversation.error", new
            {
                MessageId = "a-1",
                Error = new { Code = "model.not_configured", Message = "No model is configured: set Soma:Models:Endpoints:NAME:Endpoint.", Retryable = false },
            }, id: 2));
        await SelectFirstSessionAsync(page);

        await Expect(page.GetByTestId("turn-error")).ToContainTextAsync("model.not_configured");
        await Expect(page.GetByTestId("turn-error")).ToContainTextAsync("No model is configured");
        var banner = page.GetByTestId("error-banner");
        await Expect(banner).ToContainTextAsync("No model is configured");
        await banner.GetByTestId("dismiss-banner").ClickAsync();
        await Expect(banner).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("turn-error")).ToBeVisibleAsync();
        problems.AssertNone();
    }

    [Fact]
    public async Task Send_failures_become_banners_and_a_retry_after_a_network_error_reuses_the_idempotency_key()
    {
        await using var session = await OpenSessionAsync();
        var (page, problems) = (session.Page, session.Problems);
        await EventStreamStub.AttachAsync(page);
        await SelectFirstSessionAsync(page);
        var keys = new List<string>();
        var bodies = new List<string>();
        var outcomes = new Queue<Func<IRoute, Task>>([
            route => route.AbortAsync("internetdisconnected"),
            route => route.FulfillAsync(Problem(429, "rate-limited", "Too many requests", "Slow down.", ("Retry-After", "7"))),
            route => route.FulfillAsync(Problem(413, "body-too-large", "Message too large", "The message is 70000 bytes; the limit is 65536.")),
            route => route.FulfillAsync(Problem(400, "invalid-field", "Invalid field", "Field '/content' must not be blank.")),
            route => route.FulfillAsync(new RouteFulfillOptions { Status = 202, ContentType = "application/json", Body = "{\"message_id\":\"m-9\",\"run_id\":\"r-9\"}" }),
        ]);
        await page.RouteAsync("**/v1/sessions/*/messages", route =>
        {
            keys.Add(route.Request.Headers["idempotency-key"]);
            bodies.Add(route.Request.PostData ?? string.Empty);
            return outcomes.Dequeue()(route);
        });
        var composer = page.GetByTestId("composer");
        var banners = page.GetByTestId("error-banner");

        await composer.FillAsync("hello");
        await page.GetByTestId("send").ClickAsync();
        await Expect(banners).ToContainTextAsync("could not be reached");
        await Expect(composer).ToHaveValueAsync("hello");

        await page.GetByTestId("send").ClickAsync();
        await Expect(banners).ToHaveTextAsync("Too many requests — try again in 7 s");
        Assert.Equal(keys[0], keys[1]);
        Assert.True(Guid.TryParse(keys[0], out _), keys[0]);

        await banners.GetByTestId("dismiss-banner").ClickAsync();
        await Expect(banners).ToHaveCountAsync(0);

        await composer.PressAsync("Enter");
        await Expect(banners).ToContainTextAsync("too large");
        await Expect(banners).ToContainTextAsync("65536");
        await composer.PressAsync("Enter");
        await Expect(banners).ToContainTextAsync("Field '/content' must not be blank.");
        Assert.Equal(3, keys.Distinct().Count());

        await composer.PressAsync("Enter");
        await Expect(page.Locator("[data-testid=message][data-message-id='m-9']").GetByTestId("message-content")).ToHaveTextAsync("hello");
        await Expect(composer).ToHaveValueAsync(string.Empty);
        await Expect(banners).ToHaveCountAsync(0);
        Assert.Equal(5, keys.Count);
        Assert.All(bodies, body => Assert.Equal("hello", JsonDocument.Parse(body).RootElement.GetProperty("content").GetString()));
        problems.AssertNone();
    }

    [Fact]
    public async Task The_connection_indicator_shows_offline_and_the_stream_comes_back_with_Last_Event_ID()
    {
        await using var session = await OpenSessionAsync();
        var (page, problems) = (session.Page, session.Problems);
        var stub = await EventStreamStub.AttachAsync(page);
        stub.Enqueue(EventStreamStub.Event("conversation.user_message", new { MessageId = "u-1", Content = "hi" }, id: 41));
        await SelectFirstSessionAsync(page);
        var status = page.GetByTestId("connection-status");
        await Expect(page.GetByTestId("message-content")).ToHaveTextAsync("hi");

        await session.Context.SetOfflineAsync(true);
        await Expect(status).ToHaveAttributeAsync("data-state", "offline");
        await Expect(status).ToContainTextAsync("Offline");
        var before = stub.Requests.Count;

        await session.Context.SetOfflineAsync(false);
        await Expect(status).ToHaveAttributeAsync("data-state", new Regex("^(connecting|reconnecting|open)$"));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (stub.Requests.Count <= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(stub.Requests.Count > before, "the stream did not reconnect after the network came back");
        Assert.Equal("41", stub.Requests[^1].LastEventId);
        await Expect(page.GetByTestId("message")).ToHaveCountAsync(1);
        problems.AssertNone();
    }

    [Fact]
    public async Task On_a_narrow_screen_the_sidebar_is_a_drawer()
    {
        var tenant = ServerFixture.NewTenant();
        using var api = Server.For(tenant);
        await api.PostAsJsonAsync("/v1/sessions", new { title = "phone" });
        await using var context = await fixture.NewContextAsync(390, 800);
        var page = await OpenSignedInAsync(context, Server.IssueToken(tenant), waitForSidebar: false);
        var problems = PageProblems.Watch(page);
        await EventStreamStub.AttachAsync(page);
        var toggle = page.GetByTestId("toggle-sidebar");

        await Expect(toggle).ToBeVisibleAsync();
        await Expect(page.GetByTestId("sidebar")).ToBeHiddenAsync();
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(page.GetByTestId("sidebar")).ToBeVisibleAsync();
        await page.GetByTestId("session-select").ClickAsync();
        await Expect(page.GetByTestId("sidebar")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("session-title")).ToHaveTextAsync("phone");
        problems.AssertNone();
    }

    private async Task<IPage> OpenSignedInAsync(IBrowserContext context, string token, bool waitForSidebar = true)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/#token=" + token);
        await Expect(waitForSidebar ? page.GetByTestId("sidebar") : page.GetByTestId("session-title")).ToBeVisibleAsync();
        return page;
    }

    // A signed-in page of a fresh tenant with one session, not yet selected (so a stub can be attached first).
    private async Task<OpenPage> OpenSessionAsync()
    {
        var tenant = ServerFixture.NewTenant();
        using var api = Server.For(tenant);
        await api.PostAsJsonAsync("/v1/sessions", new { title = "stubbed" });
        var context = await fixture.NewContextAsync();
        var page = await OpenSignedInAsync(context, Server.IssueToken(tenant));
        return new OpenPage(context, page, PageProblems.Watch(page));
    }

    private static async Task SelectFirstSessionAsync(IPage page)
    {
        await page.GetByTestId("session-select").First.ClickAsync();
        await Expect(page.GetByTestId("conversation")).ToBeAttachedAsync();
    }

    private static RouteFulfillOptions Problem(int status, string type, string title, string detail, params (string Name, string Value)[] headers) => new()
    {
        Status = status,
        ContentType = "application/problem+json",
        Headers = headers.ToDictionary(h => h.Name, h => h.Value),
        Body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "urn:soma:problem:" + type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        }),
    };
}
