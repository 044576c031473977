using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Soma.Tools.Workspaces;
using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The real tools in a browser, on a real server with the shipped policy: an operator's <c>shell.run</c> streams its
/// output from a process in the bubblewrap sandbox line by line and says where it ran, and reads what the session's
/// <c>code.python</c> wrote in the workspace; a user asking for it gets a
/// denied card with the policy's reason and no output; an MCP server's tool answers an operator and is denied to a user.
/// </summary>
public sealed class RealToolsBrowserTests(RealToolsBrowserFixture fixture) : IClassFixture<RealToolsBrowserFixture>
{
    private const string Echo = $"mcp.{RealToolsBrowserFixture.McpServer}.echo";

    [Fact]
    public async Task An_operators_shell_command_streams_its_lines_from_the_sandbox_and_says_it_ran_in_bubblewrap()
    {
        var tenant = ServerFixture.NewTenant();
        await using var open = await OpenAsync(tenant, "operator", "admin");
        var page = open.Page;
        var session = await SessionIdAsync(page);

        // The command writes line1, then waits for a file the test creates in the session's workspace (/workspace in
        // the sandbox) before writing the rest: whatever the machine's speed, line3 cannot exist before the test says so.
        await SendAsync(page, """[[tool:shell.run {"command": "echo line1; until [ -e go ]; do sleep 0.1; done; echo line2; sleep 1; echo line3"}]]""");

        var tool = page.Locator("[data-testid=tool-call][data-tool='shell.run']");
        var output = tool.GetByTestId("tool-output");
        await Expect(output).ToContainTextAsync("line1");
        await Expect(output).ToHaveAttributeAsync("data-live", "true");
        await Expect(tool).ToHaveAttributeAsync("data-status", "running");
        await Expect(tool).ToHaveAttributeAsync("open", string.Empty);
        Assert.Equal("line1\n", await TextAsync(output));

        var workspace = fixture.Server.Services.GetRequiredService<ToolWorkspaces>().PathFor(tenant, session);
        await File.WriteAllTextAsync(Path.Combine(workspace, "go"), string.Empty);

        // The durable output replaces the live text: every line, once, the exit code, and the header says where it ran.
        await Expect(tool).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(output).ToHaveAttributeAsync("data-live", "false");
        Assert.Equal("line1\nline2\nline3\n[exit code 0]", await TextAsync(output));
        await Expect(tool.GetByTestId("tool-sandbox")).ToBeVisibleAsync();
        await Expect(tool.GetByTestId("tool-sandbox")).ToHaveTextAsync("sandbox: bubblewrap");
        await Expect(tool.GetByTestId("tool-truncated")).ToBeHiddenAsync();
        await Expect(tool.GetByTestId("tool-error")).ToBeHiddenAsync();
        var answer = page.Locator("[data-testid=message][data-role=assistant]").First;
        await Expect(answer).ToHaveAttributeAsync("data-state", "done");
        await Expect(answer.GetByTestId("message-content")).ToContainTextAsync("line3");
        await Expect(page.GetByTestId("error-banner")).ToHaveCountAsync(0);
        open.Problems.AssertNone();
    }

    [Fact]
    public async Task A_file_an_operators_python_writes_is_read_by_the_next_shell_command_of_the_session()
    {
        var tenant = ServerFixture.NewTenant();
        await using var open = await OpenAsync(tenant, "operator", "admin");
        var page = open.Page;
        var session = await SessionIdAsync(page);

        await SendAsync(page, """[[tool:code.python {"code": "open('note.txt', 'w').write('written by python')\nprint(sum(range(10)))"}]]""");
        var python = page.Locator("[data-testid=tool-call][data-tool='code.python']");
        await Expect(python).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(python.GetByTestId("tool-output")).ToHaveAttributeAsync("data-live", "false");
        Assert.Equal("45\n[exit code 0]", await TextAsync(python.GetByTestId("tool-output")));
        await Expect(python.GetByTestId("tool-sandbox")).ToHaveTextAsync("sandbox: bubblewrap");
        await Expect(page.GetByTestId("run-status").First).ToHaveAttributeAsync("data-state", "succeeded");

        // The session's workspace is the same folder for every sandboxed call of the session, and it is on the host.
        await SendAsync(page, """[[tool:shell.run {"command": "cat note.txt"}]]""");
        var shell = page.Locator("[data-testid=tool-call][data-tool='shell.run']");
        await Expect(shell).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(shell.GetByTestId("tool-output")).ToHaveAttributeAsync("data-live", "false");
        Assert.Equal("written by python\n[exit code 0]", await TextAsync(shell.GetByTestId("tool-output")));
        var workspace = fixture.Server.Services.GetRequiredService<ToolWorkspaces>().PathFor(tenant, session);
        Assert.Equal("written by python", await File.ReadAllTextAsync(Path.Combine(workspace, "note.txt")));
        open.Problems.AssertNone();
    }

    [Fact]
    public async Task A_user_asking_for_a_shell_command_gets_a_denied_card_with_the_policys_reason_and_nothing_runs()
    {
        await using var open = await OpenAsync(ServerFixture.NewTenant(), "alice", "user");
        var page = open.Page;
        await SendAsync(page, """[[tool:shell.run {"command": "id"}]]""");

        await AssertDeniedAsync(page, "shell.run");
        open.Problems.AssertNone();
    }

    [Fact]
    public async Task An_mcp_servers_tool_answers_an_operator_from_its_sandbox()
    {
        await using var open = await OpenAsync(ServerFixture.NewTenant(), "operator", "admin");
        var page = open.Page;
        await SendAsync(page, $$"""[[tool:{{Echo}} {"text": "hello from the browser"}]]""");

        var tool = page.Locator($"[data-testid=tool-call][data-tool='{Echo}']");
        await Expect(tool).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(tool.GetByTestId("tool-output")).ToHaveAttributeAsync("data-live", "false");
        Assert.Equal("echo: hello from the browser", await TextAsync(tool.GetByTestId("tool-output")));
        await Expect(tool.GetByTestId("tool-sandbox")).ToHaveTextAsync("sandbox: bubblewrap");
        var answer = page.Locator("[data-testid=message][data-role=assistant]").First;
        await Expect(answer).ToHaveAttributeAsync("data-state", "done");
        await Expect(answer.GetByTestId("message-content")).ToContainTextAsync("echo: hello from the browser");
        open.Problems.AssertNone();
    }

    [Fact]
    public async Task An_mcp_servers_tool_is_denied_to_a_user_with_the_policys_reason()
    {
        await using var open = await OpenAsync(ServerFixture.NewTenant(), "alice", "user");
        var page = open.Page;
        await SendAsync(page, $$"""[[tool:{{Echo}} {"text": "hello from the browser"}]]""");

        await AssertDeniedAsync(page, Echo);
        open.Problems.AssertNone();
    }

    // The card is closed yet says why; the tool never ran, so there is no output and no sandbox; the turn still ends.
    private static async Task AssertDeniedAsync(IPage page, string name)
    {
        var denied = page.Locator($"[data-testid=tool-call][data-tool='{name}']");
        await Expect(denied).ToHaveAttributeAsync("data-status", "denied");
        await Expect(denied).Not.ToHaveAttributeAsync("open", string.Empty);
        var reason = denied.GetByTestId("tool-denied-reason");
        await Expect(reason).ToBeVisibleAsync();
        await Expect(reason).ToHaveTextAsync($"Denied: no role of the caller grants tool \"{name}\" (roles: user)");
        await Expect(page.GetByTestId("run-status").First).ToHaveAttributeAsync("data-state", "succeeded");
        Assert.Equal(string.Empty, await TextAsync(denied.GetByTestId("tool-output")));
        await Expect(denied.GetByTestId("tool-sandbox")).ToBeHiddenAsync();
    }

    private async Task<OpenPage> OpenAsync(string tenant, string subject, string role)
    {
        var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/#token=" + fixture.Server.IssueToken(tenant, subject, [role]));
        await page.GetByTestId("new-session").ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "open");
        return new OpenPage(context, page, problems);
    }

    private static async Task<Guid> SessionIdAsync(IPage page)
    {
        var selected = page.Locator("[data-testid=session-item][aria-current=page]");
        await Expect(selected).ToHaveCountAsync(1);
        return Guid.Parse((await selected.GetAttributeAsync("data-session-id"))!);
    }

    private static async Task SendAsync(IPage page, string message)
    {
        var composer = page.GetByTestId("composer");
        await composer.FillAsync(message);
        await composer.PressAsync("Enter");
    }

    private static Task<string> TextAsync(ILocator locator) => locator.EvaluateAsync<string>("e => e.textContent");
}
