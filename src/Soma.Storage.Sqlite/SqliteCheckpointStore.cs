using System.Data.Common;
using Soma.Core.Runs;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>Checkpoints on SQLite.</summary>
internal sealed class SqliteCheckpointStore(SqliteStore store) : ICheckpointStore
{
    private const string Columns = "tenant_id, run_id, version, format_version, state, created_at";

    /// <inheritdoc />
    public Task<CheckpointRecord?> GetAsync(string tenantId, Guid runId, long version, CancellationToken cancellationToken = default) =>
        ReadOneAsync($"SELECT {Columns} FROM checkpoints WHERE tenant_id = $tenant AND run_id = $run AND version = $version", tenantId, runId, version, cancellationToken);

    /// <inheritdoc />
    public Task<CheckpointRecord?> GetLatestAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        ReadOneAsync($"SELECT {Columns} FROM checkpoints WHERE tenant_id = $tenant AND run_id = $run ORDER BY version DESC LIMIT 1", tenantId, runId, 0, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> ListVersionsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM checkpoints WHERE tenant_id = $tenant AND run_id = $run ORDER BY version";
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$run", Id(runId));
        var versions = new List<long>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(reader.GetInt64(0));
        }

        return versions;
    }

    /// <inheritdoc />
    public async Task<int> PruneAsync(int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        // The versions to delete are found in the key's index, which holds every column the condition reads: a scan of
        // the table itself would read every checkpoint's state (migration 0019 keeps the states in the table's rows).
        using var command = transaction.CreateCommand("""
            DELETE FROM checkpoints WHERE rowid IN (
                SELECT c.rowid FROM checkpoints c JOIN runs r ON r.tenant_id = c.tenant_id AND r.id = c.run_id
                WHERE r.ended_at IS NOT NULL
                  AND (c.version <= r.checkpoint_version - $keep
                       OR (r.ended_at < $endedBefore AND c.version < r.checkpoint_version)))
            """);
        command.Parameters.AddWithValue("$keep", keepLast);
        command.Parameters.AddWithValue("$endedBefore", Ticks(endedBefore));
        var deleted = await ExecuteAsync(command, "prune checkpoints", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private async Task<CheckpointRecord?> ReadOneAsync(string sql, string tenantId, Guid runId, long version, CancellationToken cancellationToken)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$run", Id(runId));
        command.Parameters.AddWithValue("$version", version);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static CheckpointRecord Read(DbDataReader r) =>
        new(r.GetString(0), Id(r, 1), r.GetInt64(2), r.GetInt32(3), r.GetString(4), Time(r, 5));
}
