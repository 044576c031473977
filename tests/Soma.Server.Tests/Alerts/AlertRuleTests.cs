namespace Soma.Server.Tests.Alerts;

/// <summary>The shipped Prometheus rules are valid, every alert is unit-tested by promtool, and every alert has its runbook.</summary>
public sealed class AlertRuleTests
{
    [Fact]
    public async Task Promtool_accepts_the_rule_file()
    {
        var (code, output) = await AlertRules.PromtoolAsync("check", "rules", AlertRules.RulesFile);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_alert_fires_when_it_should_and_stays_silent_when_it_should_not()
    {
        var tests = Directory.GetFiles(Path.Combine(AlertRules.Directory, "tests"), "*.yml");
        Assert.NotEmpty(tests);
        var (code, output) = await AlertRules.PromtoolAsync(["test", "rules", .. tests]);
        Assert.True(code == 0, output);

        // Each alert is tested both ways: expected to fire somewhere, and expected silent somewhere.
        var text = string.Join('\n', tests.Select(File.ReadAllText));
        foreach (var alert in AlertRules.Alerts().Select(a => a.Alert).Distinct())
        {
            var blocks = text.Split("alertname: ").Where(b => b.StartsWith(alert + '\n', StringComparison.Ordinal) || b.StartsWith(alert + "\r\n", StringComparison.Ordinal)).ToList();
            Assert.True(blocks.Any(b => b.Contains("exp_alerts: []", StringComparison.Ordinal)), $"{alert} has no promtool case where it stays silent");
            Assert.True(blocks.Any(b => b.Contains("exp_labels:", StringComparison.Ordinal)), $"{alert} has no promtool case where it fires");
        }
    }

    [Fact]
    public void Every_alert_links_its_runbook_page_and_the_page_says_what_to_do()
    {
        var alerts = AlertRules.Alerts();
        Assert.True(alerts.Count >= 7, $"only {alerts.Count} alerts found in {AlertRules.RulesFile}");
        var nav = File.ReadAllText(Path.Combine(AlertRules.Root, "mkdocs.yml"));
        foreach (var (alert, url) in alerts)
        {
            Assert.True(url == $"runbooks/{alert}/", $"{alert}'s runbook_url is '{url}', expected 'runbooks/{alert}/' (the docs site's path of docs/runbooks/{alert}.md)");
            var page = Path.Combine(AlertRules.Root, "docs", "runbooks", alert + ".md");
            Assert.True(File.Exists(page), $"{alert} has no runbook page {page}");
            var text = File.ReadAllText(page);
            foreach (var section in (string[])["## What it means", "## Confirm", "## Mitigate", "## Verify"])
            {
                Assert.True(text.Contains(section, StringComparison.Ordinal), $"{page} has no '{section}' section");
            }

            Assert.True(nav.Contains($"runbooks/{alert}.md", StringComparison.Ordinal), $"mkdocs.yml's nav does not list runbooks/{alert}.md");
        }
    }
}
