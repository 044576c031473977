using System.Globalization;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;

namespace Soma.Storage.Sqlite;

/// <summary>Model token usage on SQLite, one row per tenant, day and model.</summary>
internal sealed class SqliteUsageLedger(SqliteStore store) : IUsageLedger
{
    private const string DayFormat = "yyyy-MM-dd";

    /// <inheritdoc />
    public async Task RecordAsync(IStoreTransaction transaction, UsageRecord usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO usage_daily (tenant_id, day, model, calls, input_tokens, output_tokens) VALUES ($tenant, $day, $model, 1, $input, $output)
            ON CONFLICT (tenant_id, day, model) DO UPDATE SET
                calls = calls + 1, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens
            """);
        command.Parameters.AddWithValue("$tenant", usage.TenantId);
        command.Parameters.AddWithValue("$day", usage.Day.ToString(DayFormat, CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$model", usage.Model);
        command.Parameters.AddWithValue("$input", usage.InputTokens);
        command.Parameters.AddWithValue("$output", usage.OutputTokens);
        await ExecuteAsync(command, "record usage", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageTotal>> ListAsync(string tenantId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT day, model, calls, input_tokens, output_tokens FROM usage_daily
            WHERE tenant_id = $tenant AND day >= $from AND day <= $to ORDER BY day DESC, model
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$from", from.ToString(DayFormat, CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$to", to.ToString(DayFormat, CultureInfo.InvariantCulture));
        var totals = new List<UsageTotal>();
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                totals.Add(new UsageTotal(DateOnly.ParseExact(reader.GetString(0), DayFormat, CultureInfo.InvariantCulture), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read usage");
        }

        return totals;
    }
}
