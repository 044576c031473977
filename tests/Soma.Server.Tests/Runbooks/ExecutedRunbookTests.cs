using System.Text;
using Soma.Testing;

namespace Soma.Server.Tests.Runbooks;

/// <summary>
/// Runs every diagnostic (<c>```sh title="check"</c>) of every runbook page under bash against a real server in the state
/// the page names, and checks that it exits as the page says and prints what the page says it prints: a page whose
/// command, flag, route, metric or output drifted from the code fails here.
/// </summary>
public sealed class ExecutedRunbookTests(RunbookStates states) : IClassFixture<RunbookStates>
{
    public static TheoryData<string> Pages => [.. RunbookPage.Names().Where(n => RunbookPage.Load(n).Checks.Any())];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_check_of_the_page_runs_against_a_server_in_its_state_and_shows_what_the_page_says(string name)
    {
        var page = RunbookPage.Load(name);
        Assert.NotNull(page.State);
        using var backups = new TempDirectory("soma-runbook-backup");
        var environment = new Dictionary<string, string>(states.Environment(page.State)) { ["BACKUP_DIR"] = backups.Path };
        var failures = new StringBuilder();
        foreach (var block in page.Checks)
        {
            var (code, output) = await RunbookShell.RunAsync(block.Code, environment, backups.Path);
            var missing = block.Expects.Where(e => !output.Contains(e, StringComparison.Ordinal)).ToList();
            if (code != block.ExitCode || missing.Count > 0)
            {
                failures.AppendLine($"{block} ({page.State}): exit {code} (expected {block.ExitCode}){(missing.Count > 0 ? $", output lacks {string.Join(", ", missing.Select(m => $"'{m}'"))}" : "")}")
                    .AppendLine($"$ {block.Code}").AppendLine(output);
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
    }
}
