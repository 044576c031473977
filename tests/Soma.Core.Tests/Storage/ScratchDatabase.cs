using Microsoft.Extensions.Options;
using Soma.Core.Storage;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Core.Tests.Storage;

/// <summary>
/// A real SQLite store (the single-writer engine) in a temp directory with one table of unique keys: what a commit
/// wrote, and whether a rolled-back write left anything behind, is read back from the file.
/// </summary>
internal sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private ScratchDatabase(TempDirectory directory, SqliteStore store)
    {
        _directory = directory;
        Store = store;
    }

    public SqliteStore Store { get; }

    public static async Task<ScratchDatabase> CreateAsync()
    {
        var directory = new TempDirectory("soma-core");
        var options = new SqliteStoreOptions
        {
            Path = Path.Combine(directory.Path, "scratch.db"),
            Synchronous = SqliteSynchronous.Normal,
            // No background checkpoint loop: nothing in these tests should run on a real-time timer.
            CheckpointIntervalMilliseconds = 0,
        };
        var database = new ScratchDatabase(directory, new SqliteStore(Options.Create(options), TimeProvider.System));
        var transaction = await database.Store.BeginAsync();
        await using (transaction)
        {
            using var command = ((SqliteStoreTransaction)transaction).CreateCommand("CREATE TABLE items (key TEXT NOT NULL UNIQUE)");
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        return database;
    }

    /// <summary>Writes <paramref name="key"/> in <paramref name="transaction"/>, as a caller's work would; a key written twice fails.</summary>
    public static async Task InsertAsync(IStoreTransaction transaction, string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var command = ((SqliteStoreTransaction)transaction).CreateCommand("INSERT INTO items (key) VALUES ($key)");
        command.Parameters.AddWithValue("$key", key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The committed keys, in the order they were written.</summary>
    public async Task<List<string>> ReadKeysAsync()
    {
        using var connection = await Store.OpenReadAsync(CancellationToken.None);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key FROM items ORDER BY rowid";
        using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _directory.Dispose();
    }
}
