using System.Data.Common;
using Soma.Core.Runs;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>Checkpoints on PostgreSQL.</summary>
internal sealed class PostgresCheckpointStore(PostgresStore store) : ICheckpointStore
{
    private const string Columns = "tenant_id, run_id, version, format_version, state, created_at";

    /// <inheritdoc />
    public Task<CheckpointRecord?> GetAsync(string tenantId, Guid runId, long version, CancellationToken cancellationToken = default) =>
        ReadOneAsync($"SELECT {Columns} FROM checkpoints WHERE tenant_id = @tenant AND run_id = @run AND version = @version", tenantId, runId, version, cancellationToken);

    /// <inheritdoc />
    public Task<CheckpointRecord?> GetLatestAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        ReadOneAsync($"SELECT {Columns} FROM checkpoints WHERE tenant_id = @tenant AND run_id = @run ORDER BY version DESC LIMIT 1", tenantId, runId, null, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> ListVersionsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM checkpoints WHERE tenant_id = @tenant AND run_id = @run ORDER BY version";
        command.Add("tenant", tenantId);
        command.Add("run", runId);
        return await ReadAllAsync(command, r => r.GetInt64(0), "list checkpoints", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<int> PruneAsync(int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM checkpoints c USING runs r
            WHERE r.tenant_id = c.tenant_id AND r.id = c.run_id AND r.ended_at IS NOT NULL
              AND (c.version <= r.checkpoint_version - @keep OR (r.ended_at < @ended_before AND c.version < r.checkpoint_version))
            """;
        command.Add("keep", keepLast);
        command.Add("ended_before", endedBefore);
        return await ExecuteAsync(command, "prune checkpoints", cancellationToken).ConfigureAwait(false);
    }

    private async Task<CheckpointRecord?> ReadOneAsync(string sql, string tenantId, Guid runId, long? version, CancellationToken cancellationToken)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Add("tenant", tenantId);
        command.Add("run", runId);
        if (version is { } v)
        {
            command.Add("version", v);
        }

        return (await ReadAllAsync(command, Read, "read a checkpoint", cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    private static CheckpointRecord Read(DbDataReader r) =>
        new(r.GetString(0), r.GetGuid(1), r.GetInt64(2), r.GetInt32(3), r.GetString(4), Time(r, 5));
}
