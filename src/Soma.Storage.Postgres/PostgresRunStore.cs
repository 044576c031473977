using System.Data.Common;
using Npgsql;
using Soma.Core.Runs;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>Workflow runs on PostgreSQL: leases with <c>FOR UPDATE SKIP LOCKED</c>, commits that compare and swap.</summary>
internal sealed class PostgresRunStore(PostgresStore store) : IRunStore
{
    private const string Columns =
        "id, tenant_id, workflow, workflow_version, state, version, checkpoint_version, input, created_at, updated_at, output, error, waiting_for, idempotency_key, trace_parent, lease_owner, lease_expires_at, wake_at, ended_at";

    /// <inheritdoc />
    public async Task<RunRecord> CreateAsync(IStoreTransaction transaction, RunAcceptance acceptance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acceptance);
        var run = acceptance.Run;
        var own = store.Own(transaction);
        using (var insert = own.CreateStatement($"""
            WITH inserted AS (
                INSERT INTO runs (id, tenant_id, workflow, workflow_version, state, version, checkpoint_version, input, created_at, updated_at, idempotency_key, trace_parent, lease_owner, lease_expires_at)
                VALUES (@id, @tenant, @workflow, @workflow_version, @state, @version, @checkpoint_version, @input, @created, @updated, @key, @trace, @owner, @expires)
                ON CONFLICT DO NOTHING
                RETURNING id)
            {(acceptance.Events.Count == 0 ? "" : EventsWhen("inserted"))}
            SELECT count(*) FROM inserted
            """))
        {
            insert.Add("id", run.Id);
            insert.Add("tenant", run.TenantId);
            insert.Add("workflow", run.Workflow);
            insert.Add("workflow_version", run.WorkflowVersion);
            insert.Add("state", (short)run.State);
            insert.Add("version", run.Version);
            insert.Add("checkpoint_version", run.CheckpointVersion);
            insert.Add("input", run.Input);
            insert.Add("created", run.CreatedAt);
            insert.Add("updated", run.UpdatedAt);
            insert.AddText("key", run.IdempotencyKey);
            insert.AddText("trace", run.TraceParent);
            insert.AddText("owner", run.LeaseOwner);
            insert.Add("expires", run.LeaseExpiresAt);
            AddEvents(insert, acceptance.Events, store.TimeProvider.GetUtcNow());

            // The last write of a transaction no other caller shares goes to the server with its COMMIT: one round trip.
            if (await own.ReadAllAsync(insert, r => r.GetInt64(0), "accept a run", acceptance.Last, cancellationToken).ConfigureAwait(false) is [1])
            {
                return run;
            }
        }

        // A run with this idempotency key (or id) exists: that one is the answer (read after the commit when the
        // transaction went with the statement; the run it names was committed before).
        var sql = run.IdempotencyKey is null
            ? $"SELECT {Columns} FROM runs WHERE tenant_id = @tenant AND id = @id"
            : $"SELECT {Columns} FROM runs WHERE tenant_id = @tenant AND idempotency_key = @key";
        if (own.CommittedWithStatement)
        {
            using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var after = new NpgsqlCommand(sql, connection);
            return await ExistingAsync(after).ConfigureAwait(false);
        }

        using var existing = own.CreateCommand(sql);
        return await ExistingAsync(existing).ConfigureAwait(false);

        async Task<RunRecord> ExistingAsync(NpgsqlCommand command)
        {
            command.Add("tenant", run.TenantId);
            command.Add("id", run.Id);
            command.AddText("key", run.IdempotencyKey);
            return (await ReadAllAsync(command, Read, "read a run", cancellationToken).ConfigureAwait(false)).SingleOrDefault()
                ?? throw new StoreException($"Run {run.Id} conflicts with a run of another tenant.");
        }
    }

    /// <inheritdoc />
    public async Task<RunRecord?> GetAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM runs WHERE tenant_id = @tenant AND id = @id";
        command.Add("tenant", tenantId);
        command.Add("id", runId);
        return (await ReadAllAsync(command, Read, "read a run", cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <inheritdoc />
    public async Task<Page<RunRecord>> ListAsync(string tenantId, RunQuery query, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM runs
            WHERE tenant_id = @tenant{(query.State is null ? "" : " AND state = @state")}{(query.Workflow is null ? "" : " AND workflow = @workflow")}
            {(cursor is null ? "" : "AND (created_at, id) < (@cursor_time, @cursor_id)")}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        if (query.State is { } state)
        {
            command.Add("state", (short)state);
        }

        if (query.Workflow is { } workflow)
        {
            command.Add("workflow", workflow);
        }

        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, Read, r => new PageCursor(r.CreatedAt, r.Id), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> AcquireAsync(RunLeaseRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.EnsureValid();
        var now = store.TimeProvider.GetUtcNow();
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH picked AS (
                SELECT tenant_id, id FROM runs
                WHERE state IN (0, 1) AND (wake_at IS NULL OR wake_at <= @now) AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
                ORDER BY created_at, id
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            UPDATE runs r SET lease_owner = @owner, lease_expires_at = @expires
            FROM picked WHERE r.tenant_id = picked.tenant_id AND r.id = picked.id
            RETURNING {string.Join(", ", Columns.Split(", ").Select(c => "r." + c))}
            """;
        command.Add("now", now);
        command.Add("max", request.MaxRuns);
        command.Add("owner", request.Owner);
        command.Add("expires", now + request.Duration);
        var runs = await ReadAllAsync(command, Read, "lease runs", cancellationToken).ConfigureAwait(false);
        runs.Sort(static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : a.Id.CompareTo(b.Id));
        return runs;
    }

    /// <inheritdoc />
    public async Task<bool> RenewLeaseAsync(string owner, string tenantId, Guid runId, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE runs SET lease_expires_at = @expires WHERE tenant_id = @tenant AND id = @id AND lease_owner = @owner";
        command.Add("expires", store.TimeProvider.GetUtcNow() + duration);
        command.Add("tenant", tenantId);
        command.Add("id", runId);
        command.Add("owner", owner);
        return await ExecuteAsync(command, "renew a run lease", cancellationToken).ConfigureAwait(false) == 1;
    }

    // A run commit's statement in its four shapes (with or without a checkpoint, with or without events), made once: index
    // 1 adds the checkpoint, 2 the events.
    private static readonly string[] CommitSql = [.. Enumerable.Range(0, 4).Select(shape => CommitStatement(checkpoint: (shape & 1) != 0, events: (shape & 2) != 0))];

    private static string CommitStatement(bool checkpoint, bool events) => $"""
        WITH changed AS (
            UPDATE runs SET
                state = @state, version = version + 1, checkpoint_version = checkpoint_version + @checkpoint,
                output = @output, error = @error, waiting_for = @waiting_for, wake_at = @wake_at, updated_at = @now,
                ended_at = CASE WHEN @state IN (3, 4, 5) THEN @now ELSE NULL END,
                lease_owner = CASE WHEN @release THEN NULL ELSE lease_owner END,
                lease_expires_at = CASE WHEN @release THEN NULL ELSE lease_expires_at END
            WHERE tenant_id = @tenant AND id = @id AND version = @expected AND (@owner::text IS NULL OR lease_owner = @owner)
            RETURNING tenant_id, id, version, checkpoint_version)
        {(!checkpoint ? "" : """
        , written AS (
            INSERT INTO checkpoints (tenant_id, run_id, version, format_version, state, created_at)
            SELECT tenant_id, id, checkpoint_version, @format, @checkpoint_state, @now FROM changed)
        """)}
        {(!events ? "" : EventsWhen("changed"))}
        SELECT version, checkpoint_version FROM changed
        """;

    /// <inheritdoc />
    public async Task<RunCommitResult> CommitAsync(IStoreTransaction transaction, RunCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var own = store.Own(transaction);
        var now = store.TimeProvider.GetUtcNow();
        using var update = own.CreateStatement(CommitSql[(commit.Checkpoint is null ? 0 : 1) + (commit.Events.Count == 0 ? 0 : 2)]);
        update.Add("state", (short)commit.State);
        update.Add("checkpoint", commit.Checkpoint is null ? 0 : 1);
        update.AddText("output", commit.Output);
        update.AddText("error", commit.Error);
        update.AddText("waiting_for", commit.WaitingFor);
        update.Parameters.Add(new NpgsqlParameter("wake_at", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = commit.WakeAt is { } wake ? wake.ToUniversalTime() : DBNull.Value });
        update.Add("now", now);
        update.Add("release", commit.ReleaseLease);
        update.Add("tenant", commit.TenantId);
        update.Add("id", commit.RunId);
        update.Add("expected", commit.ExpectedVersion);
        update.AddText("owner", commit.LeaseOwner);
        if (commit.Checkpoint is { } checkpoint)
        {
            update.Add("format", checkpoint.FormatVersion);
            update.Add("checkpoint_state", checkpoint.State);
        }

        // The change's events, in its statement: written only if the run's row was changed. One round trip for the row, its
        // checkpoint and its events.
        AddEvents(update, commit.Events, null);

        // The last change of a transaction no other caller shares goes to the server with its COMMIT: one round trip.
        var rows = await own.ReadAllAsync(update, r => (r.GetInt64(0), r.GetInt64(1)), "commit a run", commit.Last, cancellationToken).ConfigureAwait(false);
        return rows is [var (version, checkpointVersion)] ? new RunCommitResult(true, version, checkpointVersion) : RunCommitResult.Refused;
    }

    // The events of a run's statement, as one more data-modifying CTE that writes them only if the CTE named `source`
    // returned a row (the run was added or changed): the outbox's append, as PostgresOutbox writes it, for each.
    private static string EventsWhen(string source) => $"""
        , events AS (
            INSERT INTO outbox (id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, next_attempt_at, in_partition_log)
            SELECT e.id, e.tenant_id, e.topic, e.dedupe_key, e.partition_key, e.payload, e.created_at, @now, e.in_partition_log
            FROM unnest(@event_ids, @event_tenants, @event_topics, @event_dedupe_keys, @event_partitions, @event_payloads, @event_times, @event_in_partition_log)
                AS e (id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, in_partition_log)
            WHERE EXISTS (SELECT 1 FROM {source})
            ON CONFLICT DO NOTHING)
        """;

    // The parameters EventsWhen reads; `now` when the statement has no @now of its own.
    private static void AddEvents(NpgsqlCommand command, IReadOnlyList<OutboxMessage> events, DateTimeOffset? now)
    {
        if (events.Count == 0)
        {
            return;
        }

        if (now is { } time)
        {
            command.Add("now", time);
        }

        command.Parameters.Add(new NpgsqlParameter("event_ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid) { Value = events.Select(e => e.Id).ToArray() });
        command.Parameters.Add(TextArray("event_tenants", events.Select(e => e.TenantId)));
        command.Parameters.Add(TextArray("event_topics", events.Select(e => e.Topic)));
        command.Parameters.Add(TextArray("event_dedupe_keys", events.Select(e => e.DedupeKey)));
        command.Parameters.Add(TextArray("event_partitions", events.Select(e => e.PartitionKey)));
        command.Parameters.Add(TextArray("event_payloads", events.Select(e => e.Payload)));
        command.Parameters.Add(new NpgsqlParameter("event_times", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.CreatedAt.UtcDateTime).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("event_in_partition_log", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Boolean) { Value = events.Select(e => e.InPartitionLog).ToArray() });
    }

    private static NpgsqlParameter TextArray(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = values.ToArray() };

    private static RunRecord Read(DbDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), (RunState)r.GetInt16(4), r.GetInt64(5), r.GetInt64(6), r.GetString(7), Time(r, 8), Time(r, 9))
    {
        Output = NullableString(r, 10),
        Error = NullableString(r, 11),
        WaitingFor = NullableString(r, 12),
        IdempotencyKey = NullableString(r, 13),
        TraceParent = NullableString(r, 14),
        LeaseOwner = NullableString(r, 15),
        LeaseExpiresAt = NullableTime(r, 16),
        WakeAt = NullableTime(r, 17),
        EndedAt = NullableTime(r, 18),
    };
}
