using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Policy;
using Soma.Core.Storage;
using Soma.Testing;
using Soma.Testing.Engines;

namespace Soma.Core.Tests.Policy;

/// <summary>An audited decision's details, as the audit log keeps them and its event carries them, on a real SQLite file.</summary>
public sealed class PolicyDecisionAuditTests
{
    [Fact]
    public async Task The_details_hold_every_fact_of_the_caller_and_the_decisions_own_the_same_in_the_row_and_the_event()
    {
        using var directory = new TempDirectory("soma-audit-details");
        await using var ports = SqliteEngine.Open(Path.Combine(directory.Path, "soma.db"), TimeProvider.System);
        await ports.Store.MigrateAsync();
        var decision = new PolicyDecision(false, ["no shell for <users> & \"guests\"", "rate: ok"], "v7", "embedded", TimeSpan.FromTicks(12_345)) { Cached = true };
        var details = new Dictionary<string, object?>
        {
            ["tool_call_id"] = "call_1",
            ["subject"] = null,
            ["sandbox"] = true,
            ["attempt"] = 3,
            ["bytes"] = 5_000_000_000L,
            ["ratio"] = 0.25,
            ["roles"] = new[] { "user", "ops" },
            ["tags"] = new List<string> { "ünïcode", "</script>" },
            ["limits"] = new Dictionary<string, int> { ["cpu"] = 2 },
            ["cached"] = false, // the decision's own fact wins
        };

        AuditDecisionMade? made = null;
        await using (var transaction = await ports.Store.BeginAsync())
        {
            await PolicyDecisionAudit.AppendAsync(ports.Audit, new UuidV7Generator(TimeProvider.System), transaction, e =>
            {
                made = e;
                return Task.CompletedTask;
            }, "t-audit", DateTimeOffset.UtcNow, "user:alice", "tool.call", "tool/shell.run", decision, details);
            await transaction.CommitAsync();
        }

        var row = Assert.Single((await ports.Audit.ListAsync("t-audit", new PageRequest(10), "tool.call")).Items);
        Assert.Equal("deny", row.Decision);
        Assert.Equal("no shell for <users> & \"guests\"; rate: ok", row.Reason);
        using var stored = JsonDocument.Parse(row.Details!);
        Assert.NotNull(made);
        Assert.True(JsonElement.DeepEquals(stored.RootElement, made!.Details!.Value), "the row and the event carry the same details");

        // What the serializer makes of the same facts (the caller's, then the decision's over them), value for value.
        var expected = new Dictionary<string, object?>(details)
        {
            ["reasons"] = decision.Reasons,
            ["engine"] = "embedded",
            ["duration_ms"] = Math.Round(decision.Duration.TotalMilliseconds, 3),
            ["cached"] = true,
        };
        Assert.True(JsonElement.DeepEquals(JsonSerializer.SerializeToElement(expected), stored.RootElement), row.Details);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), stored.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        // Escaped as the serializer escapes: no raw markup or quote reaches a page that shows the text as it is.
        Assert.DoesNotContain("</script>", row.Details!, StringComparison.Ordinal);
        Assert.Equal(JsonSerializer.Serialize("</script>"), stored.RootElement.GetProperty("tags")[1].GetRawText());
    }
}
