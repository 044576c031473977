using System.Globalization;
using Microsoft.Data.Sqlite;
using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// The write-ahead log is copied back into the database by the store's background connection, not by a commit: what is
/// committed reaches the database file while the server runs, well before SQLite's own trigger of 1,000 pages (4 MiB),
/// and the log is started over instead of growing, and cut back to its limit after a burst.
/// </summary>
public sealed class SqliteCheckpointTests : IDisposable
{
    private readonly TempDirectory _directory = new("soma-checkpoint");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Committed_rows_reach_the_database_file_without_a_commit_copying_them()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        await using var ports = SqliteEngine.Open(path, TimeProvider.System, settings: new Dictionary<string, string?> { ["Soma:Store:Sqlite:CheckpointIntervalMilliseconds"] = "100" });
        var (store, outbox) = (ports.Store, ports.Outbox);
        await store.MigrateAsync();
        var sizeBefore = new FileInfo(path).Length;

        // About 2 MiB in 100 commits: half of what would make a commit checkpoint by itself.
        var payload = $"{{\"text\":\"{new string('x', 20_000)}\"}}";
        for (var i = 0; i < 100; i++)
        {
            await using var transaction = await store.BeginAsync();
            await outbox.AppendAsync(transaction, OutboxRows.New("t", DateTimeOffset.UtcNow, payload));
            await transaction.CommitAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (new FileInfo(path).Length < sizeBefore + 1_900_000)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the database file is {new FileInfo(path).Length} bytes after 2 MB of commits: the log was not checkpointed.");
            await Task.Delay(50);
        }

        // Everything in the log has been copied: a checkpoint now has nothing left to do.
        await Task.Delay(300);
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.GetInt64(1), reader.GetInt64(2));
    }

    [Fact]
    public async Task A_log_grown_by_a_burst_of_commits_is_cut_back_to_its_limit_once_checkpointed()
    {
        var path = Path.Combine(_directory.Path, "busy.db");
        const long Limit = 2L << 20;
        await using var ports = SqliteEngine.Open(path, TimeProvider.System, settings: new Dictionary<string, string?>
        {
            ["Soma:Store:Sqlite:CheckpointIntervalMilliseconds"] = "20",
            ["Soma:Store:Sqlite:MaxWalBytes"] = Limit.ToString(CultureInfo.InvariantCulture),
        });
        var (store, outbox) = (ports.Store, ports.Outbox);
        await store.MigrateAsync();

        // About 24 MB in back-to-back commits: the log grows past its limit while they last.
        var payload = $"{{\"text\":\"{new string('x', 12_000)}\"}}";
        for (var i = 0; i < 2_000; i++)
        {
            await AppendAsync(store, outbox, payload);
        }

        // Once a checkpoint has copied it all, the next commit starts the log over and cuts the file back to the limit
        // (without it the file keeps the burst's size on disk for good).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            Assert.True(DateTime.UtcNow < deadline, $"the log is still {new FileInfo(path + "-wal").Length} bytes with a limit of {Limit}");
            await Task.Delay(100);
            await AppendAsync(store, outbox, "{}");
        }
        while (new FileInfo(path + "-wal").Length > Limit);

        Assert.True(await CountAsync(path) > 2_000);
    }

    private static async Task AppendAsync(IStore store, IOutbox outbox, string payload)
    {
        await using var transaction = await store.BeginAsync();
        await outbox.AppendAsync(transaction, OutboxRows.New("t", DateTimeOffset.UtcNow, payload));
        await transaction.CommitAsync();
    }

    private static async Task<long> CountAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
