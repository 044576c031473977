using System.Data.Common;
using Microsoft.Data.Sqlite;
using Soma.Core.Runs;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>Workflow runs on SQLite. Leases and commits run under the store's single writer.</summary>
internal sealed class SqliteRunStore(SqliteStore store) : IRunStore
{
    private const string Columns =
        "id, tenant_id, workflow, workflow_version, state, version, checkpoint_version, input, created_at, updated_at, output, error, waiting_for, idempotency_key, trace_parent, lease_owner, lease_expires_at, wake_at, ended_at";

    /// <inheritdoc />
    public async Task<RunRecord> CreateAsync(IStoreTransaction transaction, RunAcceptance acceptance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acceptance);
        cancellationToken.ThrowIfCancellationRequested();
        var run = acceptance.Run;
        var own = store.Own(transaction);
        var inserted = own.Insert("""
            INSERT INTO runs (id, tenant_id, workflow, workflow_version, state, version, checkpoint_version, input, created_at, updated_at, idempotency_key, trace_parent, lease_owner, lease_expires_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            ON CONFLICT DO NOTHING
            """, "accept a run")
            .Id(1, run.Id).Text(2, run.TenantId).Text(3, run.Workflow).Integer(4, run.WorkflowVersion).Integer(5, (int)run.State)
            .Integer(6, run.Version).Integer(7, run.CheckpointVersion).Text(8, run.Input).Integer(9, Ticks(run.CreatedAt)).Integer(10, Ticks(run.UpdatedAt))
            .Text(11, run.IdempotencyKey).Text(12, run.TraceParent).Text(13, run.LeaseOwner).Integer(14, run.LeaseExpiresAt is { } expires ? Ticks(expires) : null)
            .Execute();
        if (inserted == 1)
        {
            foreach (var message in acceptance.Events)
            {
                SqliteOutbox.Insert(own, message);
            }

            return run;
        }

        // A run with this idempotency key (or id) exists: that one is the answer.
        using var existing = own.CreateCommand(run.IdempotencyKey is null
            ? $"SELECT {Columns} FROM runs WHERE tenant_id = $tenant AND id = $id"
            : $"SELECT {Columns} FROM runs WHERE tenant_id = $tenant AND idempotency_key = $key");
        existing.Parameters.AddWithValue("$tenant", run.TenantId);
        existing.Parameters.AddWithValue("$id", Id(run.Id));
        existing.Parameters.AddWithValue("$key", OrNull(run.IdempotencyKey));
        using var reader = await existing.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? Read(reader)
            : throw new StoreException($"Run {run.Id} conflicts with a run of another tenant.");
    }

    /// <inheritdoc />
    public async Task<RunRecord?> GetAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM runs WHERE tenant_id = $tenant AND id = $id";
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", Id(runId));
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <inheritdoc />
    public async Task<Page<RunRecord>> ListAsync(string tenantId, RunQuery query, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM runs
            WHERE tenant_id = $tenant{(query.State is null ? "" : " AND state = $state")}{(query.Workflow is null ? "" : " AND workflow = $workflow")}
            {(cursor is null ? "" : "AND (created_at < $time OR (created_at = $time AND id < $after))")}
            ORDER BY created_at DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$state", query.State is { } state ? (int)state : DBNull.Value);
        command.Parameters.AddWithValue("$workflow", OrNull(query.Workflow));
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, Read, r => new PageCursor(r.CreatedAt, r.Id), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> AcquireAsync(RunLeaseRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.EnsureValid();
        var now = store.TimeProvider.GetUtcNow();
        var runs = new List<RunRecord>();
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        using (var command = transaction.CreateCommand($"""
            UPDATE runs SET lease_owner = $owner, lease_expires_at = $expires
            WHERE rowid IN (
                SELECT rowid FROM runs
                WHERE state IN (0, 1) AND (wake_at IS NULL OR wake_at <= $now) AND (lease_expires_at IS NULL OR lease_expires_at <= $now)
                ORDER BY created_at, id LIMIT $max)
            RETURNING {Columns}
            """))
        {
            command.Parameters.AddWithValue("$owner", request.Owner);
            command.Parameters.AddWithValue("$expires", Ticks(now + request.Duration));
            command.Parameters.AddWithValue("$now", Ticks(now));
            command.Parameters.AddWithValue("$max", request.MaxRuns);
            try
            {
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    runs.Add(Read(reader));
                }
            }
            catch (SqliteException ex)
            {
                throw SqliteStore.Translate(ex, "lease runs");
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        runs.Sort(static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : a.Id.CompareTo(b.Id));
        return runs;
    }

    /// <inheritdoc />
    public async Task<bool> RenewLeaseAsync(string owner, string tenantId, Guid runId, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = transaction.CreateCommand(
            "UPDATE runs SET lease_expires_at = $expires WHERE tenant_id = $tenant AND id = $id AND lease_owner = $owner");
        command.Parameters.AddWithValue("$expires", Ticks(store.TimeProvider.GetUtcNow() + duration));
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", Id(runId));
        command.Parameters.AddWithValue("$owner", owner);
        var renewed = await ExecuteAsync(command, "renew a run lease", cancellationToken).ConfigureAwait(false) == 1;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return renewed;
    }

    /// <inheritdoc />
    public Task<RunCommitResult> CommitAsync(IStoreTransaction transaction, RunCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var own = store.Own(transaction);
        var now = store.TimeProvider.GetUtcNow();
        // A step of a running run leaves it running: that statement does not set the state, so runs_runnable (whose
        // condition reads the state) is not rewritten by every step's commit (one page of the log fewer per step). A run
        // that was not running (its first start from accepted, a resume) takes the statement that sets it.
        var read = commit.State == RunState.Running ? Update(own, commit, now, stillRunning: true) : null;
        read ??= Update(own, commit, now, stillRunning: false);
        if (read is not { } updated)
        {
            return Task.FromResult(RunCommitResult.Refused);
        }

        var (version, checkpointVersion) = updated;

        if (commit.Checkpoint is { } checkpoint)
        {
            own.Insert("""
                INSERT INTO checkpoints (tenant_id, run_id, version, format_version, state, created_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """, "write a checkpoint")
                .Text(1, commit.TenantId).Id(2, commit.RunId).Integer(3, checkpointVersion).Integer(4, checkpoint.FormatVersion)
                .Text(5, checkpoint.State).Integer(6, Ticks(now)).Execute();
        }

        foreach (var message in commit.Events)
        {
            SqliteOutbox.Insert(own, message);
        }

        return Task.FromResult(new RunCommitResult(true, version, checkpointVersion));
    }

    // Bound by position (a compiled statement kept on the writer, no command or data reader per commit): ?1 checkpoint
    // increment, ?2 output, ?3 error, ?4 waiting for, ?5 wake at, ?6 now, ?7 release the lease, ?8 tenant, ?9 run id,
    // ?10 expected version, ?11 lease owner, ?12 state (only where the statement sets it).
    private const string UpdateSet = """
        version = version + 1, checkpoint_version = checkpoint_version + ?1,
            output = ?2, error = ?3, waiting_for = ?4, wake_at = ?5, updated_at = ?6,
            lease_owner = CASE WHEN ?7 THEN NULL ELSE lease_owner END,
            lease_expires_at = CASE WHEN ?7 THEN NULL ELSE lease_expires_at END
        """;

    private const string UpdateWhere = "tenant_id = ?8 AND id = ?9 AND version = ?10 AND (?11 IS NULL OR lease_owner = ?11)";

    private const string UpdateSql = $"""
        UPDATE runs SET state = ?12, ended_at = CASE WHEN ?12 IN (3, 4, 5) THEN ?6 ELSE NULL END,
            {UpdateSet}
        WHERE {UpdateWhere}
        RETURNING version, checkpoint_version
        """;

    private const string StillRunningSql = $"""
        UPDATE runs SET ended_at = NULL,
            {UpdateSet}
        WHERE {UpdateWhere} AND state = 1
        RETURNING version, checkpoint_version
        """;

    // The run's new version and checkpoint version, or null when no row matched: fenced, or (stillRunning) not running.
    private static (long Version, long CheckpointVersion)? Update(SqliteStoreTransaction own, RunCommit commit, DateTimeOffset now, bool stillRunning)
    {
        var update = own.Insert(stillRunning ? StillRunningSql : UpdateSql, "commit a run");
        if (!stillRunning)
        {
            update.Integer(12, (int)commit.State);
        }

        return update.Integer(1, commit.Checkpoint is null ? 0 : 1).Text(2, commit.Output).Text(3, commit.Error).Text(4, commit.WaitingFor)
            .Integer(5, commit.WakeAt is { } wake ? Ticks(wake) : null).Integer(6, Ticks(now)).Integer(7, commit.ReleaseLease ? 1 : 0)
            .Text(8, commit.TenantId).Id(9, commit.RunId).Integer(10, commit.ExpectedVersion).Text(11, commit.LeaseOwner)
            .ExecuteReturningPair();
    }

    private static RunRecord Read(DbDataReader r) => new(
        Id(r, 0), r.GetString(1), r.GetString(2), r.GetInt32(3), (RunState)r.GetInt32(4), r.GetInt64(5), r.GetInt64(6), r.GetString(7), Time(r, 8), Time(r, 9))
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
