using Soma.Server.Tests.Alerts;

namespace Soma.Server.Tests.Runbooks;

/// <summary>
/// Every shell block of every runbook is either a diagnostic the executed-runbook test runs (<c>title="check"</c>, with
/// what its output must show) or a step marked as not run (<c>title="act"</c>): a command nobody runs cannot hide on a page.
/// </summary>
public sealed class RunbookMarkupTests
{
    public static TheoryData<string> Pages => [.. RunbookPage.Names()];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_shell_block_is_a_check_with_expected_output_or_an_act(string name)
    {
        var page = RunbookPage.Load(name);
        Assert.All(page.Blocks, block =>
        {
            Assert.True(block.Title is "check" or "act", $"{block}: a shell block must be ```sh title=\"check\"``` (run by a test) or ```sh title=\"act\"``` (not run), not '{block.Title ?? "untitled"}'.");
            if (block.Title == "check")
            {
                Assert.True(block.Expects.Count > 0, $"{block}: a check must be followed by <!-- expect: TEXT --> saying what its output shows.");
                Assert.False(string.IsNullOrWhiteSpace(block.Code), $"{block}: an empty check.");
            }
        });
        if (page.Checks.Any())
        {
            Assert.True(page.State is not null && RunbookStates.Known.Contains(page.State),
                $"{name}.md runs checks, so it must name its state with <!-- runbook-state: NAME --> (one of {string.Join(", ", RunbookStates.Known)}), not '{page.State}'.");
        }
    }

    [Fact]
    public void The_markup_is_read_as_written_and_an_unmarked_block_is_found()
    {
        var page = RunbookPage.Load("memory-outage");
        var status = Assert.Single(page.Checks, b => b.Code == "soma memory status");
        Assert.Equal(["mode        down"], status.Expects);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(7, Assert.Single(page.Checks, b => b.Code.Contains("MEMORY_URL", StringComparison.Ordinal)).ExitCode);
        Assert.Contains(page.Blocks, b => b.Title == "act" && b.Code.Contains("soma memory flush", StringComparison.Ordinal));

        // A bare shell block is found, untitled, so the rule above fails for it; other languages are not shell blocks.
        var bare = RunbookPage.Parse("bare", ["# Bare", "", "```bash", "soma doctor", "```", "", "```yaml", "a: 1", "```"]);
        Assert.Null(Assert.Single(bare.Blocks).Title);
    }

    [Fact]
    public void Every_playbook_is_in_the_nav_and_the_index()
    {
        var nav = File.ReadAllText(Path.Combine(AlertRules.Root, "mkdocs.yml"));
        var index = File.ReadAllText(Path.Combine(RunbookPage.Folder, "index.md"));
        foreach (var playbook in (string[])["memory-outage", "database-failover", "stuck-runs", "poisoned-outbox-row", "signing-key-rotation", "backup-restore"])
        {
            var page = RunbookPage.Load(playbook);
            Assert.True(nav.Contains($"runbooks/{playbook}.md", StringComparison.Ordinal), $"mkdocs.yml's nav does not list runbooks/{playbook}.md");
            Assert.True(index.Contains($"({playbook}.md)", StringComparison.Ordinal), $"docs/runbooks/index.md does not link {playbook}.md");
            var text = File.ReadAllText(Path.Combine(RunbookPage.Folder, playbook + ".md"));
            foreach (var section in (string[])["## Symptoms", "## Confirm", "## Act", "## Verify"])
            {
                Assert.True(text.Contains(section, StringComparison.Ordinal), $"{playbook}.md has no '{section}' section");
            }

            Assert.NotEmpty(page.Checks);
        }
    }
}
