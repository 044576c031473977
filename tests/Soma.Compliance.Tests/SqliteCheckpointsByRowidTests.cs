using Soma.Core.Runs;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// Checkpoints written while the table was WITHOUT ROWID read back the same, version for version, once migration 0019
/// has rebuilt it as an ordinary table; versions go on from each run's last one, pruning still keeps an ended run's last
/// versions, and reading a run's checkpoints goes by its key, unsorted.
/// </summary>
public sealed class SqliteCheckpointsByRowidTests : IDisposable
{
    private const string Rebuilt = "0019_checkpoints_by_rowid";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private readonly TempDirectory _directory = new("soma-checkpoints");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Checkpoints_written_before_the_rebuild_read_back_the_same_and_go_on_after_it()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        SqliteEngine.MigrateUpTo(path, Rebuilt);
        Assert.True(SqliteFile.IsWithoutRowid(path, "checkpoints"), "checkpoints is WITHOUT ROWID before the migration");
        var clock = TimeProvider.System;
        var start = clock.GetUtcNow().AddHours(-1);

        // Three runs of two tenants, their commits interleaved; states from a few bytes to past a page, so some rows of
        // the old table spilled into overflow pages.
        var runs = Enumerable.Range(0, 3)
            .Select(i => new RunRecord(Guid.CreateVersion7(), i == 2 ? "other" : "acme", "demo.pipeline", 1, RunState.Accepted, 0, 0, "{}", start, start))
            .ToList();
        var written = new Dictionary<Guid, List<string>>();
        await using (var before = SqliteEngine.Open(path, clock))
        {
            await using (var transaction = await before.Store.BeginAsync())
            {
                foreach (var run in runs)
                {
                    await before.Runs.CreateAsync(transaction, run);
                    written[run.Id] = [];
                }

                await transaction.CommitAsync();
            }

            Assert.Equal(3, (await before.Runs.AcquireAsync(new RunLeaseRequest("w", 10, Lease))).Count);
            for (var i = 0; i < 30; i++)
            {
                var run = runs[i % 3];
                var state = $$"""{"n":{{i}},"text":"{{new string((char)('a' + (i % 26)), i * 331 % 6000)}}"}""";
                await using var transaction = await before.Store.BeginAsync();
                var committed = await before.Runs.CommitAsync(transaction, new RunCommit(run.TenantId, run.Id, i / 3, RunState.Running) { LeaseOwner = "w", Checkpoint = new CheckpointData(1, state) });
                await transaction.CommitAsync();
                Assert.True(committed.Committed);
                written[run.Id].Add(state);
            }
        }

        await using var after = SqliteEngine.Open(path, clock);
        Assert.Equal(Rebuilt, (await after.Store.MigrateAsync())[0]);
        Assert.False(SqliteFile.IsWithoutRowid(path, "checkpoints"), "checkpoints is an ordinary table after the migration");

        foreach (var run in runs)
        {
            var states = written[run.Id];
            Assert.Equal(Enumerable.Range(1, 10).Select(v => (long)v), await after.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
            for (var version = 1; version <= 10; version++)
            {
                var checkpoint = await after.Checkpoints.GetAsync(run.TenantId, run.Id, version);
                Assert.Equal((run.Id, version, 1, states[version - 1]), (checkpoint!.RunId, checkpoint.Version, checkpoint.FormatVersion, checkpoint.State));
            }

            Assert.Equal(states[^1], (await after.Checkpoints.GetLatestAsync(run.TenantId, run.Id))!.State);
            Assert.Empty(await after.Checkpoints.ListVersionsAsync(run.TenantId == "acme" ? "other" : "acme", run.Id));
        }

        // Versions go on from each run's last; an ended run's old versions are pruned, a live run's are not.
        await using (var transaction = await after.Store.BeginAsync())
        {
            var ended = await after.Runs.CommitAsync(transaction, new RunCommit("acme", runs[0].Id, 10, RunState.Succeeded) { LeaseOwner = "w", Checkpoint = new CheckpointData(1, """{"done":true}"""), Output = "{}", ReleaseLease = true });
            Assert.Equal(new RunCommitResult(true, 11, 11), ended);
            await transaction.CommitAsync();
        }

        Assert.Equal(9, await after.Checkpoints.PruneAsync(keepLast: 2, endedBefore: start.AddDays(-1)));
        Assert.Equal([10L, 11L], await after.Checkpoints.ListVersionsAsync("acme", runs[0].Id));
        Assert.Equal("""{"done":true}""", (await after.Checkpoints.GetLatestAsync("acme", runs[0].Id))!.State);
        Assert.Equal(10, (await after.Checkpoints.ListVersionsAsync("acme", runs[1].Id)).Count);
        Assert.Equal(22L, SqliteFile.Scalar(path, "SELECT count(*) FROM checkpoints"));

        var plan = SqliteFile.Plan(path, "SELECT * FROM checkpoints WHERE tenant_id = 'acme' AND run_id = 'x' ORDER BY version DESC LIMIT 1");
        Assert.Contains("sqlite_autoindex_checkpoints_1", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }
}
