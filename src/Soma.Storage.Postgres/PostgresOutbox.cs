using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>
/// The transactional outbox on PostgreSQL. A claim is one statement: pick the oldest ready rows with
/// <c>FOR UPDATE SKIP LOCKED</c> (concurrent claimers skip each other's rows instead of waiting) and lease them.
/// </summary>
internal sealed class PostgresOutbox(PostgresStore store, IOptions<OutboxOptions> options) : IOutbox
{
    private const string EntryColumns =
        "id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, status, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at, in_partition_log";

    private readonly int _maxAttempts = options.Value.MaxAttempts;

    // Skipped when the id is taken, or, for a dedupe key other than the row's id, its (tenant, topic, dedupe key): an
    // event's dedupe key is its id, unique already, so events are not in the dedupe index (migration 0016).
    private const string Append = """
        INSERT INTO outbox (id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, next_attempt_at, in_partition_log)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT DO NOTHING
        """;

    /// <inheritdoc />
    public async Task<bool> AppendAsync(IStoreTransaction transaction, OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var command = store.Own(transaction).CreateCommand(Append);
        AddAppend(command.Parameters, message, store.TimeProvider.GetUtcNow());
        return await ExecuteAsync(command, "append to the outbox", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task AppendManyAsync(IStoreTransaction transaction, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        switch (messages.Count)
        {
            case 0:
                return;
            case 1:
                await AppendAsync(transaction, messages[0], cancellationToken).ConfigureAwait(false);
                return;
        }

        // One batch, one round trip: the statements run in order, in the transaction, as separate appends would.
        using var batch = store.Own(transaction).CreateBatch();
        var now = store.TimeProvider.GetUtcNow();
        foreach (var message in messages)
        {
            var command = new NpgsqlBatchCommand(Append);
            AddAppend(command.Parameters, message, now);
            batch.BatchCommands.Add(command);
        }

        await ExecuteAsync(batch, "append to the outbox", cancellationToken).ConfigureAwait(false);
    }

    private static void AddAppend(NpgsqlParameterCollection parameters, OutboxMessage message, DateTimeOffset now)
    {
        parameters.Add(new NpgsqlParameter { Value = message.Id });
        parameters.Add(new NpgsqlParameter { Value = message.TenantId });
        parameters.Add(new NpgsqlParameter { Value = message.Topic });
        parameters.Add(new NpgsqlParameter { Value = message.DedupeKey });
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)message.PartitionKey ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter { Value = message.Payload });
        parameters.Add(new NpgsqlParameter { Value = message.CreatedAt.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter { Value = now.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter { Value = message.InPartitionLog });
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxEntry>> ClaimAsync(OutboxClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.EnsureValid();

        var now = store.TimeProvider.GetUtcNow();
        var filter = (request.TenantId is null ? "" : " AND tenant_id = @tenant")
            + (request.Topics is null ? "" : " AND topic = ANY(@topics)");

        // In partition order: no row of a partition while another pending row of it is leased (its claimer may have died
        // holding it) or backs off after a refusal. The blocked partitions are read once per claim, not once per row.
        var ordered = request.InPartitionOrder
            ? $"""

                  AND (candidate.partition_key IS NULL OR (candidate.tenant_id, candidate.partition_key) NOT IN (
                    SELECT tenant_id, partition_key FROM outbox
                    WHERE status = 0 AND partition_key IS NOT NULL AND (next_attempt_at > @now OR lease_expires_at > @now){filter}))
            """
            : "";

        // A row whose lease ran out as often as it may be attempted crashed or hung its workers every time: the first
        // CTE dead-letters it instead of handing it out forever. The two CTEs pick disjoint rows (attempts < max).
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);

        // The rows the owner delivered since its last claim, first and in the same transaction (one commit), as a statement
        // of its own: the claim's statement then sees them sent, and their partitions are no longer held back.
        using var transaction = request.Acknowledged is { Count: > 0 } ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
        if (transaction is not null)
        {
            using var acknowledge = MarkSentCommand(connection, request.LeaseOwner, request.Acknowledged!);
            await ExecuteAsync(acknowledge, "mark outbox rows sent", cancellationToken).ConfigureAwait(false);
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH poisoned AS (
                UPDATE outbox SET status = 2, lease_owner = NULL, lease_expires_at = NULL,
                    last_error = 'lease expired ' || attempts || ' times without an outcome' || COALESCE(' (last error: ' || last_error || ')', '')
                WHERE id IN (
                    SELECT id FROM outbox
                    WHERE status = 0 AND lease_expires_at <= @now AND attempts >= @max{filter}
                    FOR UPDATE SKIP LOCKED)
                RETURNING id),
            picked AS (
                SELECT id FROM outbox AS candidate
                WHERE status = 0 AND next_attempt_at <= @now
                  AND (lease_expires_at IS NULL OR (lease_expires_at <= @now AND attempts < @max)){filter}{ordered}
                ORDER BY created_at, id
                LIMIT @batch
                FOR UPDATE SKIP LOCKED)
            UPDATE outbox o SET lease_owner = @owner, lease_expires_at = @expires, attempts = o.attempts + 1
            FROM picked WHERE o.id = picked.id
            RETURNING {string.Join(", ", EntryColumns.Split(", ").Select(c => "o." + c))}
            """;
        command.Add("now", now);
        command.Add("max", _maxAttempts);
        command.Add("owner", request.LeaseOwner);
        command.Add("expires", now + request.LeaseDuration);
        command.Add("batch", request.BatchSize);
        if (request.TenantId is not null)
        {
            command.Add("tenant", request.TenantId);
        }

        if (request.Topics is not null)
        {
            command.Add("topics", request.Topics.ToArray());
        }

        var entries = await ReadAllAsync(command, ReadEntry, "claim outbox rows", cancellationToken).ConfigureAwait(false);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // RETURNING does not promise an order.
        entries.Sort(static (a, b) => a.Message.CreatedAt != b.Message.CreatedAt
            ? a.Message.CreatedAt.CompareTo(b.Message.CreatedAt)
            : a.Message.Id.CompareTo(b.Message.Id));
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

        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = MarkSentCommand(connection, leaseOwner, ids);
        return await ExecuteAsync(command, "mark outbox rows sent", cancellationToken).ConfigureAwait(false);
    }

    private NpgsqlCommand MarkSentCommand(NpgsqlConnection connection, string leaseOwner, IReadOnlyCollection<Guid> ids)
    {
        var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE outbox SET status = 1, sent_at = @now, lease_owner = NULL, lease_expires_at = NULL
            WHERE status = 0 AND lease_owner = @owner AND id = ANY(@ids)
            """;
        command.Add("now", store.TimeProvider.GetUtcNow());
        command.Add("owner", leaseOwner);
        command.Add("ids", ids.ToArray());
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
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 1 AND sent_at < @before ORDER BY sent_at LIMIT @limit)
            """;
        command.Add("before", sentBefore);
        command.Add("limit", Math.Max(1, limit));
        return await ExecuteAsync(command, "prune sent outbox rows", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> ListAsync(OutboxQuery query, CancellationToken cancellationToken = default) =>
        OutboxBundles.ListAsync(query, rows => ListRowsAsync(rows, cancellationToken));

    private async Task<IReadOnlyList<OutboxEntry>> ListRowsAsync(OutboxQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {EntryColumns} FROM outbox
            WHERE topic = ANY(@topics){(query.TenantId is null ? "" : " AND tenant_id = @tenant")}{(query.CreatedFrom is null ? "" : " AND created_at >= @from")}{(query.After is null ? "" : " AND id > @after")}
            ORDER BY id LIMIT @limit
            """;
        command.Add("topics", query.Topics.ToArray());
        if (query.TenantId is not null)
        {
            command.Add("tenant", query.TenantId);
        }

        if (query.CreatedFrom is { } from)
        {
            command.Add("from", from);
        }

        if (query.After is { } after)
        {
            command.Add("after", after);
        }

        command.Add("limit", Math.Clamp(query.Limit, 1, PageRequest.MaxLimit));
        return await ReadAllAsync(command, ReadEntry, "read the event log", cancellationToken).ConfigureAwait(false);
    }

    private async Task<OutboxFailureOutcome> FailAsync(string leaseOwner, Guid id, string error, DateTimeOffset nextAttemptAt, bool deadLetter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);
        ArgumentNullException.ThrowIfNull(error);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE outbox SET
                status = CASE WHEN @final OR attempts >= @max THEN 2 ELSE 0 END,
                next_attempt_at = @next, lease_owner = NULL, lease_expires_at = NULL, last_error = @error
            WHERE id = @id AND status = 0 AND lease_owner = @owner
            RETURNING status
            """;
        command.Add("max", _maxAttempts);
        command.Add("final", deadLetter);
        command.Add("next", nextAttemptAt);
        command.Add("error", error.Length > OutboxEntry.MaxErrorLength ? error[..OutboxEntry.MaxErrorLength] : error);
        command.Add("id", id);
        command.Add("owner", leaseOwner);
        var statuses = await ReadAllAsync(command, r => r.GetInt16(0), "record an outbox failure", cancellationToken).ConfigureAwait(false);
        return statuses switch
        {
            [] => OutboxFailureOutcome.NotOwned,
            [(short)OutboxStatus.DeadLettered] => OutboxFailureOutcome.DeadLettered,
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

        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE outbox SET attempts = greatest(attempts - 1, 0), next_attempt_at = @next, lease_owner = NULL, lease_expires_at = NULL,
                last_error = COALESCE(@error, last_error)
            WHERE status = 0 AND lease_owner = @owner AND id = ANY(@ids)
            """;
        command.Add("next", nextAttemptAt);
        command.AddText("error", error is null ? null : error.Length > OutboxEntry.MaxErrorLength ? error[..OutboxEntry.MaxErrorLength] : error);
        command.Add("owner", leaseOwner);
        command.Add("ids", ids.ToArray());
        return await ExecuteAsync(command, "release outbox rows", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<OutboxEntry?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {EntryColumns} FROM outbox WHERE id = @id AND tenant_id = @tenant";
        command.Add("id", id);
        command.Add("tenant", tenantId);
        return (await ReadAllAsync(command, ReadEntry, "read an outbox row", cancellationToken).ConfigureAwait(false)).SingleOrDefault();
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
        // Two grouped queries, each served by a partial index, so sent rows never get scanned. .
        var topic = topics is null ? "" : " AND topic = ANY(@topics)";
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT tenant_id, sum(pending)::bigint, min(oldest), sum(dead)::bigint FROM (
                SELECT tenant_id, count(*) AS pending, min(created_at) AS oldest, 0 AS dead FROM outbox WHERE status = 0{topic} GROUP BY tenant_id
                UNION ALL
                SELECT tenant_id, 0, NULL, count(*) FROM outbox WHERE status = 2{topic} GROUP BY tenant_id) depth
            GROUP BY tenant_id ORDER BY tenant_id
            """;
        if (topics is not null)
        {
            command.Add("topics", topics.ToArray());
        }

        return await ReadAllAsync(command, r => new OutboxDepth(r.GetString(0), r.GetInt64(1), NullableTime(r, 2), r.GetInt64(3)), "measure the outbox", cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxEntry>> ListDeadLetteredAsync(string tenantId, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {EntryColumns} FROM outbox WHERE tenant_id = @tenant AND status = 2 ORDER BY created_at, id LIMIT @limit";
        command.Add("tenant", tenantId);
        command.Add("limit", Math.Clamp(limit, 1, PageRequest.MaxLimit));
        return await ReadAllAsync(command, ReadEntry, "list dead-lettered outbox rows", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> ListPartitionAsync(string tenantId, string partitionKey, Guid? after, int limit, CancellationToken cancellationToken = default) =>
        OutboxBundles.ListAsync((rowsAfter, rows) => ListPartitionRowsAsync(tenantId, partitionKey, rowsAfter, rows, cancellationToken), after, limit);

    private async Task<IReadOnlyList<OutboxEntry>> ListPartitionRowsAsync(string tenantId, string partitionKey, Guid? after, int limit, CancellationToken cancellationToken)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {EntryColumns} FROM outbox
            WHERE tenant_id = @tenant AND partition_key = @partition AND in_partition_log{(after is null ? "" : " AND id > @after")}
            ORDER BY id LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        command.Add("partition", partitionKey);
        if (after is { } a)
        {
            command.Add("after", a);
        }

        command.Add("limit", Math.Clamp(limit, 1, PageRequest.MaxLimit));
        return await ReadAllAsync(command, ReadEntry, "read an event log", cancellationToken).ConfigureAwait(false);
    }

    private static OutboxEntry ReadEntry(DbDataReader r) => new(
        new OutboxMessage
        {
            Id = r.GetGuid(0),
            TenantId = r.GetString(1),
            Topic = r.GetString(2),
            DedupeKey = r.GetString(3),
            PartitionKey = NullableString(r, 4),
            Payload = r.GetString(5),
            CreatedAt = Time(r, 6),
            InPartitionLog = r.GetBoolean(14),
        },
        (OutboxStatus)r.GetInt16(7),
        r.GetInt32(8),
        Time(r, 9),
        NullableString(r, 10),
        NullableTime(r, 11),
        NullableString(r, 12),
        NullableTime(r, 13));
}
