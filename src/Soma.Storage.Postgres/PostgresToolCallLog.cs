using System.Data;
using System.Globalization;
using Npgsql;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>The tool call log on PostgreSQL: one row per finished call, statistics computed by SQL over the window.</summary>
internal sealed class PostgresToolCallLog(PostgresStore store) : IToolCallLog
{
    // Exact nearest-rank percentiles with window functions: the row whose rank is ceil(p·n) among a tool's calls that
    // ran, sorted by duration. Only one row per tool leaves the server, whatever the number of calls. The same SQL as
    // SQLite's, so both engines pick the same row.
    private const string TotalsSql = """
        WITH w AS (
            SELECT tool, outcome, error_code, duration_ms, bytes FROM tool_calls
            WHERE tenant_id = @tenant AND at >= @from AND at < @to {0}
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
                   CAST(SUM(bytes) AS bigint) AS bytes
            FROM w GROUP BY tool
        )
        SELECT t.tool, t.calls, t.succeeded, t.failed, t.denied, t.timeouts, t.bytes, p.p50, p.p95, p.p99
        FROM totals t LEFT JOIN pct p ON p.tool = t.tool
        """;

    // The bucket from the microseconds since the window's start (EXTRACT gives an exact numeric).
    private const string SeriesSql = """
        SELECT tool, CAST(FLOOR(EXTRACT(EPOCH FROM (at - @from)) * 1000000 / @width_us) AS bigint) AS bucket, COUNT(*),
               SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END),
               SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END)
        FROM tool_calls
        WHERE tenant_id = @tenant AND at >= @from AND at < @to {0}
        GROUP BY 1, 2
        """;

    /// <inheritdoc />
    public async Task RecordAsync(IStoreTransaction transaction, ToolCallRecord call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO tool_calls (tenant_id, at, id, tool, outcome, error_code, duration_ms, bytes, sandbox)
            VALUES (@tenant, @at, @id, @tool, @outcome, @error, @duration, @bytes, @sandbox)
            """);
        command.Add("tenant", call.TenantId);
        command.Add("at", call.At);
        command.Add("id", call.Id);
        command.Add("tool", call.Tool);
        command.Add("outcome", ToolCallRecord.OutcomeName(call.Outcome));
        command.AddText("error", call.ErrorCode);
        command.Add("duration", call.DurationMs);
        command.Add("bytes", call.Bytes);
        command.Add("sandbox", call.Sandbox);
        await ExecuteAsync(command, "record a tool call", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ToolStats>> StatsAsync(string tenantId, ToolStatsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var builder = new ToolStatsBuilder(query);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One snapshot: both queries see the same calls.
            using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
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
                series.Add("width_us", query.BucketWidth.Ticks / (TimeSpan.TicksPerMillisecond / 1000));
                using var reader = await series.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    builder.AddBucket(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw PostgresStore.Translate(ex, "read tool statistics");
        }

        return builder.Build();
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string tenantId, ToolStatsQuery query)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = string.Format(CultureInfo.InvariantCulture, sql, query.Tool is null ? string.Empty : "AND tool = @tool");
        command.Add("tenant", tenantId);
        command.Add("from", query.From);
        command.Add("to", query.To);
        if (query.Tool is not null)
        {
            command.Add("tool", query.Tool);
        }

        return command;
    }

    private static double? NullableDouble(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
