using System.Data.Common;
using Soma.Core.Runs;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>The effects ledger on PostgreSQL.</summary>
internal sealed class PostgresEffectsLedger(PostgresStore store) : IEffectsLedger
{
    private const string Columns = "tenant_id, run_id, key, result, completed_at";

    /// <inheritdoc />
    public async Task<EffectRecord?> GetAsync(string tenantId, Guid runId, string key, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM effects WHERE tenant_id = @tenant AND run_id = @run AND key = @key";
        command.Add("tenant", tenantId);
        command.Add("run", runId);
        command.Add("key", key);
        return (await ReadAllAsync(command, Read, "read an effect", cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <inheritdoc />
    public async Task<bool> RecordAsync(IStoreTransaction transaction, EffectRecord effect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(effect);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO effects (tenant_id, run_id, key, result, completed_at) VALUES (@tenant, @run, @key, @result, @at)
            ON CONFLICT DO NOTHING
            """);
        command.Add("tenant", effect.TenantId);
        command.Add("run", effect.RunId);
        command.Add("key", effect.Key);
        command.Add("result", effect.Result);
        command.Add("at", effect.CompletedAt);
        return await ExecuteAsync(command, "record an effect", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EffectRecord>> ListAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM effects WHERE tenant_id = @tenant AND run_id = @run ORDER BY key";
        command.Add("tenant", tenantId);
        command.Add("run", runId);
        return await ReadAllAsync(command, Read, "list effects", cancellationToken).ConfigureAwait(false);
    }

    private static EffectRecord Read(DbDataReader r) => new(r.GetString(0), r.GetGuid(1), r.GetString(2), r.GetString(3), Time(r, 4));
}
