using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// Session event logs written while the table was WITHOUT ROWID read back the same, event for event, once migration 0018
/// has rebuilt it as an ordinary table; numbering goes on from each session's last event, a deleted session takes its
/// log with it, and reading a log goes by its key, unsorted.
/// </summary>
public sealed class SqliteSessionEventsByRowidTests : IDisposable
{
    private const string Rebuilt = "0018_session_events_by_rowid";
    private readonly TempDirectory _directory = new("soma-session-events");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Logs_written_before_the_rebuild_read_back_the_same_and_go_on_numbering_after_it()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        SqliteEngine.MigrateUpTo(path, Rebuilt);
        Assert.True(SqliteFile.IsWithoutRowid(path, "session_events"), "session_events is WITHOUT ROWID before the migration");
        var clock = TimeProvider.System;
        var start = clock.GetUtcNow().AddHours(-1);

        // Three sessions of two tenants, their events interleaved in time; payloads from a few bytes to past a page.
        var sessions = Enumerable.Range(0, 3)
            .Select(i => new Session(Guid.CreateVersion7(), i == 2 ? "other" : "acme", $"s{i}", null, start, start))
            .ToList();
        var written = new List<SessionEvent>();
        await using (var before = SqliteEngine.Open(path, clock))
        {
            await using var transaction = await before.Store.BeginAsync();
            foreach (var session in sessions)
            {
                await before.Sessions.CreateAsync(transaction, session);
            }

            for (var i = 0; i < 60; i++)
            {
                var session = sessions[i % 3];
                var payload = $$"""{"n":{{i}},"text":"{{new string((char)('a' + (i % 26)), i * 97 % 5000)}}"}""";
                var appended = new SessionEvent(session.TenantId, session.Id, 0, Guid.CreateVersion7(), i % 2 == 0 ? "message.accepted" : "turn.delta", payload, start.AddMilliseconds(i));
                var sequence = await before.Sessions.AppendEventAsync(transaction, appended);
                written.Add(appended with { Sequence = sequence!.Value });
            }

            await transaction.CommitAsync();
        }

        await using var after = SqliteEngine.Open(path, clock);
        Assert.Equal(Rebuilt, (await after.Store.MigrateAsync())[0]);
        Assert.False(SqliteFile.IsWithoutRowid(path, "session_events"), "session_events is an ordinary table after the migration");

        foreach (var session in sessions)
        {
            var expected = written.Where(e => e.SessionId == session.Id).ToList();
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n), expected.Select(e => e.Sequence));
            Assert.Equal(expected, await after.Sessions.ListEventsAsync(session.TenantId, session.Id, 0, 100));
            Assert.Equal(expected.Skip(7).Take(5), await after.Sessions.ListEventsAsync(session.TenantId, session.Id, 7, 5));
            Assert.Empty(await after.Sessions.ListEventsAsync(session.TenantId == "acme" ? "other" : "acme", session.Id, 0, 100));
        }

        // Numbering goes on from each session's last event; a deleted session's log goes with it.
        await using (var transaction = await after.Store.BeginAsync())
        {
            Assert.Equal(21, await after.Sessions.AppendEventAsync(transaction, new SessionEvent("acme", sessions[0].Id, 0, Guid.CreateVersion7(), "turn.delta", "{}", clock.GetUtcNow())));
            Assert.Null(await after.Sessions.AppendEventAsync(transaction, new SessionEvent("acme", sessions[2].Id, 0, Guid.CreateVersion7(), "turn.delta", "{}", clock.GetUtcNow())));
            Assert.True(await after.Sessions.DeleteAsync(transaction, "acme", sessions[1].Id));
            await transaction.CommitAsync();
        }

        Assert.Equal(21, (await after.Sessions.ListEventsAsync("acme", sessions[0].Id, 0, 100)).Count);
        Assert.Empty(await after.Sessions.ListEventsAsync("acme", sessions[1].Id, 0, 100));
        Assert.Equal(20, (await after.Sessions.ListEventsAsync("other", sessions[2].Id, 0, 100)).Count);
        Assert.Equal(41L, SqliteFile.Scalar(path, "SELECT count(*) FROM session_events"));

        var plan = SqliteFile.Plan(path, "SELECT * FROM session_events WHERE tenant_id = 'acme' AND session_id = 'x' AND seq > 3 ORDER BY seq LIMIT 5");
        Assert.Contains("sqlite_autoindex_session_events_1", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }
}
