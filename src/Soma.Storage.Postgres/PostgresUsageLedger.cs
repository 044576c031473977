using Npgsql;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>Model token usage on PostgreSQL, one row per tenant, day and model.</summary>
internal sealed class PostgresUsageLedger(PostgresStore store) : IUsageLedger
{
    /// <inheritdoc />
    public async Task RecordAsync(IStoreTransaction transaction, UsageRecord usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO usage_daily (tenant_id, day, model, calls, input_tokens, output_tokens) VALUES (@tenant, @day, @model, 1, @input, @output)
            ON CONFLICT (tenant_id, day, model) DO UPDATE SET
                calls = usage_daily.calls + 1,
                input_tokens = usage_daily.input_tokens + excluded.input_tokens,
                output_tokens = usage_daily.output_tokens + excluded.output_tokens
            """);
        command.Add("tenant", usage.TenantId);
        command.Add("day", usage.Day);
        command.AddText("model", usage.Model);
        command.Add("input", usage.InputTokens);
        command.Add("output", usage.OutputTokens);
        await ExecuteAsync(command, "record usage", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageTotal>> ListAsync(string tenantId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT day, model, calls, input_tokens, output_tokens FROM usage_daily
            WHERE tenant_id = @tenant AND day >= @from AND day <= @to ORDER BY day DESC, model
            """;
        command.Add("tenant", tenantId);
        command.Add("from", from);
        command.Add("to", to);
        var totals = new List<UsageTotal>();
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                totals.Add(new UsageTotal(reader.GetFieldValue<DateOnly>(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }
        catch (NpgsqlException ex)
        {
            throw PostgresStore.Translate(ex, "read usage");
        }

        return totals;
    }
}
