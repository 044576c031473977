using Microsoft.Data.Sqlite;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>The tool call log on SQLite: one row per finished call, statistics computed by SQL over the window.</summary>
internal sealed class SqliteToolCallLog(SqliteStore store) : IToolCallLog
{
    // Exact nearest-rank percentiles with window functions: the row whose rank is ceil(p·n) among a tool's calls that
    // ran, sorted by duration. Only one row per tool leaves the engine, whatever the number of calls.
    private const string TotalsSql = """
        WITH w AS (
            SELECT tool, outcome, error_code, duration_ms, bytes FROM tool_calls
            WHERE tenant_id = $tenant AND at >= $from AND at < $to {0}
        ),
        ranked AS (
            SELECT tool, duration_ms,
                   ROW_NUMBER() OVER (PARTITION BY tool ORDER BY duration_ms) AS rn,
                   COUNT(*) OVER (PARTITION BY tool) AS n
            FROM w WHERE outcome <> 'denied'
        ),
        pct AS (
            SELECT tool,
                   MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN duration_ms END) AS p50,
                   MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN duration_ms END) AS p95,
                   MAX(CASE WHEN rn = (n * 99 + 99) / 100 THEN duration_ms END) AS p99
            FROM ranked GROUP BY tool
        ),
        totals AS (
            SELECT tool, COUNT(*) AS calls,
                   SUM(CASE WHEN outcome = 'succeeded' THEN 1 ELSE 0 END) AS succeeded,
                   SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
                   SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END) AS denied,
                   SUM(CASE WHEN outcome = 'failed' AND error_code = 'tool.timeout' THEN 1 ELSE 0 END) AS timeouts,
                   SUM(bytes) AS bytes
            FROM w GROUP BY tool
        )
        SELECT t.tool, t.calls, t.succeeded, t.failed, t.denied, t.timeouts, t.bytes, p.p50, p.p95, p.p99
        FROM totals t LEFT JOIN pct p ON p.tool = t.tool
        """;

    private const string SeriesSql = """
        SELECT tool, (at - $from) / $width AS bucket, COUNT(*),
               SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END),
               SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END)
        FROM tool_calls
        WHERE tenant_id = $tenant AND at >= $from AND at < $to {0}
        GROUP BY tool, bucket
        """;

    /// <inheritdoc />
    public async Task RecordAsync(IStoreTransaction transaction, ToolCallRecord call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO tool_calls (tenant_id, at, id, tool, outcome, error_code, duration_ms, bytes, sandbox)
            VALUES ($tenant, $at, $id, $tool, $outcome, $error, $duration, $bytes, $sandbox)
            """);
        command.Parameters.AddWithValue("$tenant", call.TenantId);
        command.Parameters.AddWithValue("$at", Ticks(call.At));
        command.Parameters.AddWithValue("$id", Id(call.Id));
        command.Parameters.AddWithValue("$tool", call.Tool);
        command.Parameters.AddWithValue("$outcome", ToolCallRecord.OutcomeName(call.Outcome));
        command.Parameters.AddWithValue("$error", OrNull(call.ErrorCode));
        command.Parameters.AddWithValue("$duration", call.DurationMs);
        command.Parameters.AddWithValue("$bytes", call.Bytes);
        command.Parameters.AddWithValue("$sandbox", call.Sandbox);
        await ExecuteAsync(command, "record a tool call", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ToolStats>> StatsAsync(string tenantId, ToolStatsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var builder = new ToolStatsBuilder(query);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One read transaction: both queries see the same calls.
            using var transaction = connection.BeginTransaction(deferred: true);
            using (var totals = Command(connection, transaction, TotalsSql, tenantId, query))
            using (var reader = await totals.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    builder.AddTotals(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                        NullableDouble(reader, 7), NullableDouble(reader, 8), NullableDouble(reader, 9));
                }
            }

            using (var series = Command(connection, transaction, SeriesSql, tenantId, query))
            {
                series.Parameters.AddWithValue("$width", query.BucketWidth.Ticks);
                using var reader = await series.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    builder.AddBucket(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
                }
            }
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read tool statistics");
        }

        return builder.Build();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, string tenantId, ToolStatsQuery query)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, query.Tool is null ? string.Empty : "AND tool = $tool");
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$from", Ticks(query.From));
        command.Parameters.AddWithValue("$to", Ticks(query.To));
        if (query.Tool is not null)
        {
            command.Parameters.AddWithValue("$tool", query.Tool);
        }

        return command;
    }

    private static double? NullableDouble(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
