using System.Data.Common;
using Soma.Core.Runs;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>The effects ledger on SQLite.</summary>
internal sealed class SqliteEffectsLedger(SqliteStore store) : IEffectsLedger
{
    private const string Columns = "tenant_id, run_id, key, result, completed_at";

    /// <inheritdoc />
    public async Task<EffectRecord?> GetAsync(string tenantId, Guid runId, string key, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM effects WHERE tenant_id = $tenant AND run_id = $run AND key = $key";
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$run", Id(runId));
        command.Parameters.AddWithValue("$key", key);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <inheritdoc />
    public async Task<bool> RecordAsync(IStoreTransaction transaction, EffectRecord effect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(effect);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO effects (tenant_id, run_id, key, result, completed_at) VALUES ($tenant, $run, $key, $result, $at)
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.AddWithValue("$tenant", effect.TenantId);
        command.Parameters.AddWithValue("$run", Id(effect.RunId));
        command.Parameters.AddWithValue("$key", effect.Key);
        command.Parameters.AddWithValue("$result", effect.Result);
        command.Parameters.AddWithValue("$at", Ticks(effect.CompletedAt));
        return await ExecuteAsync(command, "record an effect", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EffectRecord>> ListAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM effects WHERE tenant_id = $tenant AND run_id = $run ORDER BY key";
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$run", Id(runId));
        var effects = new List<EffectRecord>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            effects.Add(Read(reader));
        }

        return effects;
    }

    private static EffectRecord Read(DbDataReader r) => new(r.GetString(0), Id(r, 1), r.GetString(2), r.GetString(3), Time(r, 4));
}
