using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>
/// The transactional outbox on SQLite. Claims run under the store's single writer, so a claim's select-and-lease is
/// atomic without row locks: the equivalent of <c>FOR UPDATE SKIP LOCKED</c> when there is only one writer.
/// </summary>
internal sealed class SqliteOutbox(SqliteStore store, IOptions<OutboxOptions> options) : IOutbox
{
    private const string EntryColumns =
        "id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, status, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at, in_partition_log";

    private readonly int _maxAttempts = options.Value.MaxAttempts;

    /// <inheritdoc />
    public Task<bool> AppendAsync(IStoreTransaction transaction, OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Insert(store.Own(transaction), message)); // a cached task for either answer: nothing allocated
    }

    /// <summary>Appends <paramref name="message"/> in <paramref name="transaction"/>; false when it was there already.</summary>
    internal static bool Insert(SqliteStoreTransaction transaction, OutboxMessage message)
    {
        // Skipped when the id is taken, or, for a dedupe key other than the row's id, its (tenant, topic, dedupe key): an
        // event's dedupe key is its id, unique already, so events are not in the dedupe index (migration 0016).
        var inserted = transaction.Insert("""
            INSERT INTO outbox (id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, next_attempt_at, in_partition_log)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT DO NOTHING
            """, "append to the outbox")
            .Id(1, message.Id).Text(2, message.TenantId).Text(3, message.Topic).Text(4, message.DedupeKey).Text(5, message.PartitionKey)
            .Text(6, message.Payload).Integer(7, Ticks(message.CreatedAt)).Integer(8, Ticks(transaction.Store.TimeProvider.GetUtcNow()))
            .Integer(9, message.InPartitionLog ? 1 : 0).Execute();
        return inserted == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxEntry>> ClaimAsync(OutboxClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.EnsureValid();

        var now = store.TimeProvider.GetUtcNow();
        var tenantFilter = request.TenantId is null ? "" : " AND tenant_id = $tenant";
        // Unary plus: the lease check goes by the outbox_leased index, not by reading the tenant's or topics' whole backlog.
        var filter = (request.TenantId is null ? "" : " AND +tenant_id = $tenant") + (request.Topics is null ? "" : " AND +topic IN (SELECT value FROM json_each($topics))");

        // In partition order: no row of a partition while another pending row of it is leased (its claimer may have died
        // holding it) or backs off after a refusal. The blocked partitions are read once per claim from two small index
        // ranges (live leases: outbox_leased; refused rows waiting for their next attempt: outbox_retrying), not once per row.
        // One column, not (tenant, partition): SQLite plans a one-column NOT IN as a lookup in a temporary index, while the
        // row-value form was re-run for every candidate (26 ms a claim). Partition keys are ids, so another tenant's
        // rows are never held back by this in practice; at worst a row waits one pass.
        var ordered = request.InPartitionOrder
            ? $"""
                 AND (partition_key IS NULL OR partition_key NOT IN (
                    SELECT partition_key FROM outbox WHERE status = 0 AND lease_expires_at > $now AND partition_key IS NOT NULL{filter}
                    UNION
                    SELECT partition_key FROM outbox WHERE status = 0 AND attempts > 0 AND next_attempt_at > $now AND partition_key IS NOT NULL{filter}))
                """
            : "";
        var pending = $"status = 0 AND next_attempt_at <= $now AND (lease_expires_at IS NULL OR lease_expires_at <= $now){tenantFilter}{ordered}";

        var entries = new List<OutboxEntry>(request.BatchSize);
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The rows the owner delivered since its last claim, first: they then hold no partition back.
            if (request.Acknowledged is { Count: > 0 } acknowledged)
            {
                using var acknowledge = MarkSentCommand(transaction, request.LeaseOwner, acknowledged);
                await acknowledge.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // A row whose lease ran out as often as it may be attempted crashed or hung its workers every time:
            // dead-letter it instead of handing it out forever.
            using (var poison = transaction.CreateCommand($"""
                UPDATE outbox SET status = 2, lease_owner = NULL, lease_expires_at = NULL,
                    last_error = 'lease expired ' || attempts || ' times without an outcome' || COALESCE(' (last error: ' || last_error || ')', '')
                WHERE status = 0 AND lease_expires_at IS NOT NULL AND lease_expires_at <= $now AND attempts >= $max{filter}
                """))
            {
                AddClaimParameters(poison, request, now);
                poison.Parameters.AddWithValue("$max", _maxAttempts);
                await poison.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // Each topic's oldest rows come in order from outbox_pending_by_topic and are merged: the same rows as ordering
            // all of them, without reading and sorting every pending row of those topics. A claim of every topic merges the
            // topics that have pending rows.
            var topics = DistinctTopics(request) ?? await PendingTopicsAsync(transaction, cancellationToken).ConfigureAwait(false);
            var candidates = topics.Length == 0
                ? "SELECT NULL WHERE 0"
                : "SELECT id FROM (" + string.Join(" UNION ALL ", topics.Select((_, i) => string.Create(CultureInfo.InvariantCulture,
                    $"SELECT * FROM (SELECT id, created_at FROM outbox WHERE topic = $topic{i} AND {pending} ORDER BY created_at, id LIMIT $batch)")))
                    + ") ORDER BY created_at, id LIMIT $batch";
            using (var claim = transaction.CreateCommand($"""
                UPDATE outbox SET lease_owner = $owner, lease_expires_at = $expires, attempts = attempts + 1
                WHERE id IN ({candidates})
                RETURNING {EntryColumns}
                """))
            {
                AddClaimParameters(claim, request, now);
                AddTopicParameters(claim, topics);
                claim.Parameters.AddWithValue("$owner", request.LeaseOwner);
                claim.Parameters.AddWithValue("$expires", Ticks(now + request.LeaseDuration));
                claim.Parameters.AddWithValue("$batch", request.BatchSize);
                using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    entries.Add(ReadEntry(reader));
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "claim outbox rows");
        }

        // RETURNING does not promise an order.
        entries.Sort(static (a, b) => a.Message.CreatedAt != b.Message.CreatedAt
            ? a.Message.CreatedAt.CompareTo(b.Message.CreatedAt)
            : string.CompareOrdinal(Id(a.Message.Id), Id(b.Message.Id)));
        return entries;
    }

    /// <inheritdoc />
    public async Task<int> MarkSentAsync(string leaseOwner, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return 0;
        }

        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = MarkSentCommand(transaction, leaseOwner, ids);
        var marked = await ExecuteAsync(command, "mark outbox rows sent", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return marked;
    }

    private SqliteCommand MarkSentCommand(SqliteStoreTransaction transaction, string leaseOwner, IReadOnlyCollection<Guid> ids)
    {
        var command = transaction.CreateCommand("""
            UPDATE outbox SET status = 1, sent_at = $now, lease_owner = NULL, lease_expires_at = NULL
            WHERE status = 0 AND lease_owner = $owner AND id IN (SELECT value FROM json_each($ids))
            """);
        command.Parameters.AddWithValue("$now", Ticks(store.TimeProvider.GetUtcNow()));
        command.Parameters.AddWithValue("$owner", leaseOwner);
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids.Select(Id).ToArray(), SqliteJsonContext.Default.StringArray));
        return command;
    }

    /// <inheritdoc />
    public Task<OutboxFailureOutcome> MarkFailedAsync(string leaseOwner, Guid id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default) =>
        FailAsync(leaseOwner, id, error, nextAttemptAt, deadLetter: false, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> DeadLetterAsync(string leaseOwner, Guid id, string error, CancellationToken cancellationToken = default) =>
        await FailAsync(leaseOwner, id, error, store.TimeProvider.GetUtcNow(), deadLetter: true, cancellationToken).ConfigureAwait(false) == OutboxFailureOutcome.DeadLettered;

    /// <inheritdoc />
    public async Task<int> PruneSentAsync(DateTimeOffset sentBefore, int limit, CancellationToken cancellationToken = default)
    {
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = transaction.CreateCommand("""
            DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 1 AND sent_at < $before ORDER BY sent_at LIMIT $limit)
            """);
        command.Parameters.AddWithValue("$before", Ticks(sentBefore));
        command.Parameters.AddWithValue("$limit", Math.Max(1, limit));
        var deleted = await ExecuteAsync(command, "prune sent outbox rows", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> ListAsync(OutboxQuery query, CancellationToken cancellationToken = default) =>
        OutboxBundles.ListAsync(query, rows => ListRowsAsync(rows, cancellationToken));

    private async Task<IReadOnlyList<OutboxEntry>> ListRowsAsync(OutboxQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {EntryColumns} FROM outbox
            WHERE topic IN (SELECT value FROM json_each($topics)){(query.TenantId is null ? "" : " AND tenant_id = $tenant")}{(query.CreatedFrom is null ? "" : " AND created_at >= $from")}{(query.After is null ? "" : " AND id > $after")}
            ORDER BY id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$topics", JsonSerializer.Serialize(query.Topics.ToArray(), SqliteJsonContext.Default.StringArray));
        command.Parameters.AddWithValue("$tenant", OrNull(query.TenantId));
        command.Parameters.AddWithValue("$from", query.CreatedFrom is { } from ? Ticks(from) : DBNull.Value);
        command.Parameters.AddWithValue("$after", query.After is { } a ? Id(a) : DBNull.Value);
        command.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, PageRequest.MaxLimit));
        var entries = new List<OutboxEntry>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader));
        }

        return entries;
    }

    private async Task<OutboxFailureOutcome> FailAsync(string leaseOwner, Guid id, string error, DateTimeOffset nextAttemptAt, bool deadLetter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);
        ArgumentNullException.ThrowIfNull(error);
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = transaction.CreateCommand("""
            UPDATE outbox SET
                status = CASE WHEN $final OR attempts >= $max THEN 2 ELSE 0 END,
                next_attempt_at = $next, lease_owner = NULL, lease_expires_at = NULL, last_error = $error
            WHERE id = $id AND status = 0 AND lease_owner = $owner
            RETURNING status
            """);
        command.Parameters.AddWithValue("$max", _maxAttempts);
        command.Parameters.AddWithValue("$final", deadLetter);
        command.Parameters.AddWithValue("$next", Ticks(nextAttemptAt));
        command.Parameters.AddWithValue("$error", error.Length > OutboxEntry.MaxErrorLength ? error[..OutboxEntry.MaxErrorLength] : error);
        command.Parameters.AddWithValue("$id", Id(id));
        command.Parameters.AddWithValue("$owner", leaseOwner);
        object? status;
        try
        {
            status = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "record an outbox failure");
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return status switch
        {
            null => OutboxFailureOutcome.NotOwned,
            long s when s == (long)OutboxStatus.DeadLettered => OutboxFailureOutcome.DeadLettered,
            _ => OutboxFailureOutcome.RetryScheduled,
        };
    }

    /// <inheritdoc />
    public async Task<int> ReleaseAsync(string leaseOwner, IReadOnlyCollection<Guid> ids, DateTimeOffset nextAttemptAt, string? error, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return 0;
        }

        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = transaction.CreateCommand("""
            UPDATE outbox SET attempts = MAX(attempts - 1, 0), next_attempt_at = $next, lease_owner = NULL, lease_expires_at = NULL,
                last_error = COALESCE($error, last_error)
            WHERE status = 0 AND lease_owner = $owner AND id IN (SELECT value FROM json_each($ids))
            """);
        command.Parameters.AddWithValue("$next", Ticks(nextAttemptAt));
        command.Parameters.AddWithValue("$error", error is null ? DBNull.Value : error.Length > OutboxEntry.MaxErrorLength ? error[..OutboxEntry.MaxErrorLength] : error);
        command.Parameters.AddWithValue("$owner", leaseOwner);
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids.Select(Id).ToArray(), SqliteJsonContext.Default.StringArray));
        var released = await ExecuteAsync(command, "release outbox rows", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return released;
    }

    /// <inheritdoc />
    public async Task<OutboxEntry?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {EntryColumns} FROM outbox WHERE id = $id AND tenant_id = $tenant";
        command.Parameters.AddWithValue("$id", Id(id));
        command.Parameters.AddWithValue("$tenant", tenantId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEntry(reader) : null;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxDepth>> GetDepthAsync(CancellationToken cancellationToken = default) => DepthAsync(null, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxDepth>> GetDepthAsync(IReadOnlyCollection<string> topics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return DepthAsync(topics, cancellationToken);
    }

    private async Task<IReadOnlyList<OutboxDepth>> DepthAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken)
    {
        // Two grouped queries, each served by a partial index, so sent rows never get scanned: pending rows from
        // outbox_pending_by_topic (named, since the planner would otherwise walk the dedupe key's index of every row
        // when no topic is given), dead-lettered ones from outbox_dead_lettered.
        var topic = topics is null ? "" : " AND topic IN (SELECT value FROM json_each($topics))";
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT tenant_id, COUNT(*), MIN(created_at), 0 FROM outbox INDEXED BY outbox_pending_by_topic WHERE status = 0{topic} GROUP BY tenant_id
            UNION ALL
            SELECT tenant_id, 0, NULL, COUNT(*) FROM outbox WHERE status = 2{topic} GROUP BY tenant_id
            """;
        if (topics is not null)
        {
            command.Parameters.AddWithValue("$topics", JsonSerializer.Serialize(topics.ToArray(), SqliteJsonContext.Default.StringArray));
        }

        var depths = new Dictionary<string, OutboxDepth>(StringComparer.Ordinal);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new OutboxDepth(reader.GetString(0), reader.GetInt64(1), NullableTime(reader, 2), reader.GetInt64(3));
            depths[row.TenantId] = depths.TryGetValue(row.TenantId, out var seen)
                ? new OutboxDepth(row.TenantId, seen.Pending + row.Pending, seen.OldestPendingAt ?? row.OldestPendingAt, seen.DeadLettered + row.DeadLettered)
                : row;
        }

        return [.. depths.Values.OrderBy(d => d.TenantId, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxEntry>> ListDeadLetteredAsync(string tenantId, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {EntryColumns} FROM outbox WHERE tenant_id = $tenant AND status = 2 ORDER BY created_at, id LIMIT $limit";
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, PageRequest.MaxLimit));
        var entries = new List<OutboxEntry>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader));
        }

        return entries;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> ListPartitionAsync(string tenantId, string partitionKey, Guid? after, int limit, CancellationToken cancellationToken = default) =>
        OutboxBundles.ListAsync((rowsAfter, rows) => ListPartitionRowsAsync(tenantId, partitionKey, rowsAfter, rows, cancellationToken), after, limit);

    private async Task<IReadOnlyList<OutboxEntry>> ListPartitionRowsAsync(string tenantId, string partitionKey, Guid? after, int limit, CancellationToken cancellationToken)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {EntryColumns} FROM outbox
            WHERE tenant_id = $tenant AND partition_key = $partition AND in_partition_log = 1{(after is null ? "" : " AND id > $after")}
            ORDER BY id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$partition", partitionKey);
        command.Parameters.AddWithValue("$after", after is { } a ? Id(a) : DBNull.Value);
        command.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, PageRequest.MaxLimit));
        var entries = new List<OutboxEntry>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader));
        }

        return entries;
    }

    private static string[]? DistinctTopics(OutboxClaimRequest request) => request.Topics?.Distinct(StringComparer.Ordinal).ToArray();

    private static void AddClaimParameters(SqliteCommand command, OutboxClaimRequest request, DateTimeOffset now)
    {
        command.Parameters.AddWithValue("$now", Ticks(now));
        if (request.TenantId is not null)
        {
            command.Parameters.AddWithValue("$tenant", request.TenantId);
        }

        if (request.Topics is not null)
        {
            command.Parameters.AddWithValue("$topics", JsonSerializer.Serialize(request.Topics.ToArray(), SqliteJsonContext.Default.StringArray));
        }
    }

    private static void AddTopicParameters(SqliteCommand command, string[] topics)
    {
        for (var i = 0; i < topics.Length; i++)
        {
            command.Parameters.AddWithValue(string.Create(CultureInfo.InvariantCulture, $"$topic{i}"), topics[i]);
        }
    }

    // The topics with pending rows, each found by one seek past the one before in outbox_pending_by_topic: as many seeks
    // as topics (a few dozen at most), however many rows wait.
    private static async Task<string[]> PendingTopicsAsync(SqliteStoreTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = transaction.CreateCommand("""
            WITH RECURSIVE pending (topic) AS (
                SELECT min(topic) FROM outbox WHERE status = 0
                UNION ALL
                SELECT (SELECT min(topic) FROM outbox WHERE status = 0 AND topic > pending.topic) FROM pending WHERE pending.topic IS NOT NULL)
            SELECT topic FROM pending WHERE topic IS NOT NULL
            """);
        var topics = new List<string>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            topics.Add(reader.GetString(0));
        }

        return [.. topics];
    }

    private static OutboxEntry ReadEntry(DbDataReader r) => new(
        new OutboxMessage
        {
            Id = Id(r, 0),
            TenantId = r.GetString(1),
            Topic = r.GetString(2),
            DedupeKey = r.GetString(3),
            PartitionKey = NullableString(r, 4),
            Payload = r.GetString(5),
            CreatedAt = Time(r, 6),
            InPartitionLog = r.GetInt64(14) != 0,
        },
        (OutboxStatus)r.GetInt32(7),
        r.GetInt32(8),
        Time(r, 9),
        NullableString(r, 10),
        NullableTime(r, 11),
        NullableString(r, 12),
        NullableTime(r, 13));
}
