using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static Soma.Gateway.Tests.RunsApi;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The runs page and a run's timeline in a browser: the tenant's runs listed and filtered by state, a timeline with a
/// bar per attempt (the failed one styled apart, the retry backoff between), live updates while a run waits and then
/// goes on, the link to the run's trace, and the way there from a chat turn.
/// </summary>
public sealed partial class RunTimelinePageTests(RunsBrowserFixture fixture) : IClassFixture<RunsBrowserFixture>
{
    [Fact]
    public async Task The_runs_page_lists_and_filters_runs_and_opens_a_timeline_with_a_bar_per_attempt_and_the_trace_link()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = fixture.Server.For(tenant);
        var pipeline = await StartAsync(client, """{"workflow":"demo.pipeline","input":{"order":9}}""");
        await WaitForStateAsync(client, pipeline, "succeeded");
        var approval = await StartAsync(client, """{"workflow":"demo.approval"}""");
        await WaitForStateAsync(client, approval, "waiting");

        var page = await OpenAsync(tenant);
        await page.GetByTestId("open-runs").ClickAsync();
        var panel = page.GetByRole(AriaRole.Dialog, new() { Name = "Runs" });
        await Expect(panel).ToBeVisibleAsync();
        var rows = panel.GetByTestId("run-row");

        // Newest first; the state filter narrows the list.
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.GetByTestId("run-workflow")).ToHaveTextAsync(["demo.approval v1", "demo.pipeline v1"]);
        await panel.GetByTestId("runs-state-filter").SelectOptionAsync("waiting");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-run-id", approval);
        await panel.GetByTestId("runs-state-filter").SelectOptionAsync("succeeded");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-run-id", pipeline);
        await Expect(panel.GetByTestId("runs-status")).ToHaveTextAsync("1 run.");

        // Its timeline: eleven steps, one bar per attempt, notify's first attempt failed with the webhook's 503.
        await rows.First.GetByTestId("run-open").ClickAsync();
        var timeline = panel.GetByTestId("run-timeline");
        await Expect(timeline).ToBeVisibleAsync();
        await Expect(timeline).ToHaveAttributeAsync("data-run-id", pipeline);
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("succeeded");
        await Expect(timeline.GetByTestId("timeline-step")).ToHaveCountAsync(11);
        await Expect(timeline.GetByTestId("timeline-attempt")).ToHaveCountAsync(12);
        await Expect(timeline.Locator("[data-testid=timeline-attempt].failed")).ToHaveCountAsync(1);
        var notify = timeline.Locator("[data-testid=timeline-step][data-step=notify]");
        await Expect(notify.GetByTestId("timeline-attempt")).ToHaveCountAsync(2);
        var failed = notify.Locator("[data-testid=timeline-attempt][data-attempt='1']");
        await Expect(failed).ToHaveClassAsync(new Regex(@"\bfailed\b"));
        await Expect(failed.Locator("title")).ToHaveTextAsync(new Regex(@"^notify · attempt 1: failed, retried\n.*\nhttp\.503: The webhook answered 503\.$", RegexOptions.Singleline));
        await Expect(notify.Locator("[data-testid=timeline-attempt][data-attempt='2']")).ToHaveClassAsync(new Regex(@"\bsucceeded\b"));
        await Expect(notify.Locator("[data-testid=timeline-gap][data-kind=retry]")).ToHaveCountAsync(1);
        await Expect(timeline.GetByTestId("run-timeline-status")).ToHaveTextAsync("11 steps, 12 attempts, 1 failed.");

        // The trace link is the template with the run's trace id.
        var traceId = (await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{pipeline}/timeline")).GetProperty("trace_id").GetString()!;
        await Expect(timeline.GetByTestId("trace-id")).ToHaveTextAsync(traceId);
        var link = timeline.GetByTestId("trace-link");
        await Expect(link).ToHaveTextAsync("Open trace");
        await Expect(link).ToHaveAttributeAsync("href", $"https://tempo.example/trace/{traceId}");

        // Back to the list, which keeps its filter.
        await timeline.GetByTestId("runs-back").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(panel.GetByTestId("runs-state-filter")).ToHaveValueAsync("succeeded");
        await CloseAsync(page);
    }

    [Fact]
    public async Task A_timeline_follows_its_run_live_from_a_wait_to_its_end()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = fixture.Server.For(tenant);
        var approval = await StartAsync(client, """{"workflow":"demo.approval"}""");
        await WaitForStateAsync(client, approval, "waiting");

        var page = await OpenAsync(tenant);
        await page.GetByTestId("open-runs").ClickAsync();
        var panel = page.GetByRole(AriaRole.Dialog, new() { Name = "Runs" });
        await panel.Locator($"[data-testid=run-row][data-run-id='{approval}']").GetByTestId("run-open").ClickAsync();
        var timeline = panel.GetByTestId("run-timeline");
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("waiting");
        await Expect(timeline.GetByTestId("timeline-summary")).ToContainTextAsync("waiting for approval");
        await Expect(timeline).ToHaveAttributeAsync("data-live", "true");
        var approve = timeline.Locator("[data-testid=timeline-step][data-step=approve]");
        var wait = approve.Locator("[data-testid=timeline-gap][data-kind=wait]");
        await Expect(wait).ToHaveAttributeAsync("data-open", "true");
        await Expect(wait.Locator("title")).ToHaveTextAsync(new Regex("^approve · waiting for approval\n"));
        await Expect(timeline.GetByTestId("timeline-step")).ToHaveCountAsync(2);

        // Resumed elsewhere: the page, untouched, draws the rest of the run as it happens.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/v1/runs/{approval}/resume", new { input = new { approved_by = "bob" } })).StatusCode);
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("succeeded");
        await Expect(timeline.GetByTestId("timeline-step")).ToHaveCountAsync(3);
        await Expect(approve.GetByTestId("timeline-attempt")).ToHaveCountAsync(2);
        await Expect(wait).Not.ToHaveAttributeAsync("data-open", "true");
        await Expect(timeline.Locator("[data-testid=timeline-step][data-step=finish] [data-testid=timeline-attempt]")).ToHaveAttributeAsync("data-outcome", "succeeded");
        await Expect(timeline).ToHaveAttributeAsync("data-live", "false");
        await CloseAsync(page);
    }

    [Fact]
    public async Task A_timeline_opened_while_a_slow_pipeline_runs_fills_in_its_steps_as_they_commit()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = fixture.Server.For(tenant);

        // Each pure step sleeps 1.5 s: the run takes about ten seconds, and the page is open well before it ends.
        var pipeline = await StartAsync(client, """{"workflow":"demo.pipeline","input":{"order":3,"step_delay_ms":1500}}""");
        var page = await OpenAsync(tenant);
        await page.GetByTestId("open-runs").ClickAsync();
        var panel = page.GetByRole(AriaRole.Dialog, new() { Name = "Runs" });
        await panel.Locator($"[data-testid=run-row][data-run-id='{pipeline}']").GetByTestId("run-open").ClickAsync();
        var timeline = panel.GetByTestId("run-timeline");
        await Expect(timeline).ToHaveAttributeAsync("data-run-id", pipeline);
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("running");
        await Expect(timeline).ToHaveAttributeAsync("data-live", "true");

        // Without a reload, the page draws each step as it commits, up to the end of the run.
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
        await Expect(timeline.GetByTestId("timeline-step")).ToHaveCountAsync(11);
        await Expect(timeline.GetByTestId("timeline-attempt")).ToHaveCountAsync(12);
        await Expect(timeline).ToHaveAttributeAsync("data-live", "false");
        await CloseAsync(page);
    }

    [Fact]
    public async Task A_chat_turn_links_to_the_timeline_of_its_run()
    {
        var tenant = ServerFixture.NewTenant();
        var page = await OpenAsync(tenant);
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");
        var composer = page.GetByTestId("composer");
        await composer.FillAsync("What time is it?");
        await composer.PressAsync("Enter");
        var run = page.GetByTestId("run-status").First;
        await Expect(run).ToHaveAttributeAsync("data-state", "succeeded");
        var runId = await run.GetAttributeAsync("data-run-id");
        Assert.NotNull(runId);

        await page.GetByTestId("turn").First.GetByTestId("run-timeline-link").ClickAsync();
        var timeline = page.GetByRole(AriaRole.Dialog, new() { Name = "Runs" }).GetByTestId("run-timeline");
        await Expect(timeline).ToBeVisibleAsync();
        await Expect(timeline).ToHaveAttributeAsync("data-run-id", runId);
        await Expect(timeline.GetByTestId("timeline-summary")).ToContainTextAsync("chat.turn v");
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("succeeded");
        Assert.True(await timeline.GetByTestId("timeline-step").CountAsync() >= 3, "a turn has steps: recall, the model call, the tool call, the answer");
        await Expect(timeline.Locator("[data-testid=timeline-step][data-status=succeeded]").First).ToBeVisibleAsync();
        await CloseAsync(page);
    }

    private async Task<IPage> OpenAsync(string tenant)
    {
        var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        _problems[page] = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, "alice", ["user"]));
        await Expect(page.GetByTestId("open-runs")).ToBeVisibleAsync();
        return page;
    }

    private readonly Dictionary<IPage, PageProblems> _problems = [];

    private async Task CloseAsync(IPage page)
    {
        _problems[page].AssertNone();
        await page.Context.DisposeAsync();
    }


}

/// <summary>A <c>#run=…</c> link opens the run's timeline; without <c>Soma:Telemetry:TraceUrlTemplate</c> it shows the trace id and no trace link.</summary>
public sealed class RunTimelineWithoutTraceLinkTests(ChatBrowserFixture fixture) : IClassFixture<ChatBrowserFixture>
{
    [Fact]
    public async Task A_run_link_opens_its_timeline_which_without_a_template_shows_the_trace_id_but_no_trace_link()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = fixture.Server.For(tenant);
        var approval = await StartAsync(client, """{"workflow":"demo.approval"}""");
        await WaitForStateAsync(client, approval, "waiting");
        var timelineJson = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{approval}/timeline");
        Assert.Equal(JsonValueKind.Null, timelineJson.GetProperty("trace_url").ValueKind);

        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);

        // A link to the run (#run=…) opens its timeline straight after sign-in.
        await page.GotoAsync($"/#token={fixture.Server.IssueToken(tenant, "alice", ["user"])}&run={approval}");
        var timeline = page.GetByRole(AriaRole.Dialog, new() { Name = "Runs" }).GetByTestId("run-timeline");
        await Expect(timeline).ToHaveAttributeAsync("data-run-id", approval);
        await Expect(timeline.GetByTestId("timeline-state")).ToHaveTextAsync("waiting");
        await Expect(timeline.GetByTestId("run-permalink")).ToHaveAttributeAsync("href", $"#run={approval}");
        await Expect(timeline.GetByTestId("trace-id")).ToHaveTextAsync(timelineJson.GetProperty("trace_id").GetString()!);
        await Expect(timeline.GetByTestId("trace-link")).ToHaveCountAsync(0);
        problems.AssertNone();
    }
}
