using System.Data.Common;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Soma.Core.Memory;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>
/// The vectors behind recall by meaning on PostgreSQL (migration <c>0012_memory_vectors</c>): <c>memory_vectors</c>
/// holds a float32 little-endian <c>bytea</c> per memory and model with the memory version it was made from and its
/// save sequence; <c>memory_embedding_queue</c> holds the memories waiting for a vector, filled by
/// <see cref="PostgresMemoryStore.UpsertAsync"/> in each write's transaction. Leases take due rows with
/// <c>FOR UPDATE SKIP LOCKED</c>, so several workers share the queue. A save holds a transaction-scoped advisory lock
/// while it draws sequence numbers and until it commits: sequences drawn by concurrent transactions could otherwise
/// commit out of order, and a reader paging by the last sequence it saw would skip the late one for good.
/// </summary>
internal sealed class PostgresMemoryVectorStore(PostgresStore store) : IMemoryVectorStore
{
    // Any fixed number works; it only has to be the same in every process that saves vectors to this database.
    private const long SaveLockKey = 0x536f6d6156656373;

    // A vector is current when it was made from the memory's present version.
    private const string HasCurrentVector =
        "EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id AND v.model = @model AND v.version >= m.version)";

    private const string LeaseSql = """
        WITH due AS (
            SELECT memory_id FROM memory_embedding_queue
            WHERE due_at <= @now AND (leased_until IS NULL OR leased_until <= @now)
            ORDER BY due_at, memory_id
            LIMIT @max
            FOR UPDATE SKIP LOCKED
        ),
        leased AS (
            UPDATE memory_embedding_queue q SET leased_until = @until FROM due
            WHERE q.memory_id = due.memory_id
            RETURNING q.memory_id, q.due_at, q.attempts
        )
        SELECT m.id, m.tenant_id, m.namespace, m.key, m.content, m.version, l.attempts
        FROM leased l JOIN memories m ON m.id = l.memory_id
        ORDER BY l.due_at, l.memory_id
        """;

    // Replaces the memory's vector of the model unless the stored one was made from a later version (a slow worker's
    // save must not put an older text's vector back); a memory that no longer exists gets none. nextval is drawn only
    // for a row that is written.
    private const string SaveSql = """
        INSERT INTO memory_vectors (memory_id, model, version, dims, vector, sequence)
        SELECT @id, @model, @version, @dims, @vector, nextval('memory_vectors_sequence')
        WHERE EXISTS (SELECT 1 FROM memories WHERE id = @id)
        ON CONFLICT (memory_id, model) DO UPDATE SET
            version = excluded.version, dims = excluded.dims, vector = excluded.vector, sequence = excluded.sequence
        WHERE memory_vectors.version <= excluded.version
        """;

    // Compared on the queue row, which every memory write updates with the version it wrote: a save racing an update
    // waits for the update's lock on this row and then sees its new version, so the memory stays queued.
    private const string DequeueSql = "DELETE FROM memory_embedding_queue WHERE memory_id = @id AND version = @version";

    /// <inheritdoc />
    public async Task<IReadOnlyList<PendingEmbedding>> LeasePendingAsync(int max, TimeSpan leaseFor, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseFor, TimeSpan.Zero);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = LeaseSql;
        command.Add("now", now);
        command.Add("until", now + leaseFor);
        command.Add("max", max);
        return await ReadAllAsync(command, ReadPending, "lease memories to embed", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task SaveAsync(IReadOnlyList<MemoryVector> vectors, DateTimeOffset now, bool dequeue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        foreach (var vector in vectors)
        {
            MemoryVectorBlob.Require(vector);
        }

        if (vectors.Count == 0)
        {
            return;
        }

        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    using var batch = new NpgsqlBatch(connection, transaction);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({SaveLockKey})"));

                    // In memory id order (stable: a memory's later vector in the list still wins), as a memory write
                    // queues them, so a save and a write never wait for each other's row locks in a cycle.
                    foreach (var vector in vectors.OrderBy(v => v.MemoryId))
                    {
                        var save = new NpgsqlBatchCommand(SaveSql);
                        save.Parameters.Add(new NpgsqlParameter("id", vector.MemoryId));
                        save.Parameters.Add(new NpgsqlParameter("model", vector.Model));
                        save.Parameters.Add(new NpgsqlParameter("version", vector.Version));
                        save.Parameters.Add(new NpgsqlParameter("dims", vector.Vector.Length));
                        save.Parameters.Add(new NpgsqlParameter("vector", NpgsqlDbType.Bytea) { Value = MemoryVectorBlob.Encode(vector.Vector) });
                        batch.BatchCommands.Add(save);

                        if (dequeue)
                        {
                            var unqueue = new NpgsqlBatchCommand(DequeueSql);
                            unqueue.Parameters.Add(new NpgsqlParameter("id", vector.MemoryId));
                            unqueue.Parameters.Add(new NpgsqlParameter("version", vector.Version));
                            batch.BatchCommands.Add(unqueue);
                        }
                    }

                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (NpgsqlException ex)
            {
                throw PostgresStore.Translate(ex, "save memory vectors");
            }
        }
    }

    /// <inheritdoc />
    public async Task RetryLaterAsync(IReadOnlyList<long> memoryIds, DateTimeOffset retryAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memoryIds);
        if (memoryIds.Count == 0)
        {
            return;
        }

        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE memory_embedding_queue q SET due_at = @due, attempts = q.attempts + 1, leased_until = NULL
            FROM (SELECT memory_id FROM memory_embedding_queue WHERE memory_id = ANY(@ids) ORDER BY memory_id FOR UPDATE) locked
            WHERE q.memory_id = locked.memory_id
            """;
        command.Add("due", retryAt);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = memoryIds.Distinct().ToArray() });
        await ExecuteAsync(command, "put memories back in the embedding queue", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> CountPendingAsync(CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM memory_embedding_queue";
        return (await ReadAllAsync(command, r => r.GetInt64(0), "count memories waiting for a vector", cancellationToken).ConfigureAwait(false))[0];
    }

    /// <inheritdoc />
    public async Task<long> EnqueueMissingAsync(string model, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO memory_embedding_queue (memory_id, version, due_at, attempts, leased_until)
            SELECT m.id, m.version, @now, 0, NULL FROM memories m WHERE NOT {HasCurrentVector}
            ON CONFLICT (memory_id) DO NOTHING
            """;
        command.Add("model", model);
        command.Add("now", now);
        return await ExecuteAsync(command, "queue memories without a vector", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredVector>> ReadVectorsAsync(long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT v.sequence, v.memory_id, m.tenant_id, m.namespace, m.key, v.model, v.dims, v.vector
            FROM memory_vectors v JOIN memories m ON m.id = v.memory_id
            WHERE v.sequence > @after
            ORDER BY v.sequence
            LIMIT @max
            """;
        command.Add("after", afterSequence);
        command.Add("max", max);
        var buffer = Array.Empty<byte>();
        return await ReadAllAsync(command, r => new StoredVector(
            r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), MemoryVectorBlob.Read(r, 7, r.GetInt32(6), ref buffer)),
            "read memory vectors", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredMemory>> ReadMemoriesAsync(
        string tenant, string @namespace, IReadOnlyList<string> keys, IReadOnlyList<string>? tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        List<(string Key, JsonElement Value, DateTimeOffset UpdatedAt)> rows;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT key, value, updated_at FROM memories
                WHERE tenant_id = @tenant AND namespace = @namespace AND key = ANY(@keys)
                  AND (@tags::text[] IS NULL OR tags @> @tags::text[])
                """;
            command.Add("tenant", tenant);
            command.Add("namespace", @namespace);
            command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.ToArray() });
            command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                Value = tags is { Count: > 0 } ? tags.ToArray() : DBNull.Value,
            });
            rows = await ReadAllAsync(command, r => (r.GetString(0), JsonElement.Parse(r.GetString(1)), r.GetFieldValue<DateTimeOffset>(2)),
                "read memories", cancellationToken).ConfigureAwait(false);
        }

        if (rows.Count == 0)
        {
            return [];
        }

        var found = rows.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var links = await PostgresMemoryStore.ReadLinksAsync(connection, tenant, [.. found.Keys], cancellationToken).ConfigureAwait(false);

        // In the order asked for, each key once.
        var memories = new List<StoredMemory>(found.Count);
        foreach (var key in keys)
        {
            if (found.Remove(key, out var memory))
            {
                memories.Add(new StoredMemory(key, memory.Value, memory.UpdatedAt, links.TryGetValue(key, out var l) ? l : []));
            }
        }

        return memories;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PendingEmbedding>> ReadMissingAsync(string model, string? tenant, long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT m.id, m.tenant_id, m.namespace, m.key, m.content, m.version, coalesce(q.attempts, 0)
            FROM memories m LEFT JOIN memory_embedding_queue q ON q.memory_id = m.id
            WHERE m.id > @after AND (@tenant::text IS NULL OR m.tenant_id = @tenant::text) AND NOT {HasCurrentVector}
            ORDER BY m.id
            LIMIT @max
            """;
        command.Add("model", model);
        command.AddText("tenant", tenant);
        command.Add("after", afterId);
        command.Add("max", max);
        return await ReadAllAsync(command, ReadPending, "read memories without a vector", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<VectorCoverage> CoverageAsync(string model, string? tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT count(*), count(v.memory_id)
            FROM memories m LEFT JOIN memory_vectors v ON v.memory_id = m.id AND v.model = @model AND v.version >= m.version
            WHERE @tenant::text IS NULL OR m.tenant_id = @tenant::text
            """;
        command.Add("model", model);
        command.AddText("tenant", tenant);
        return (await ReadAllAsync(command, r => new VectorCoverage(r.GetInt64(0), r.GetInt64(1)), "measure vector coverage", cancellationToken).ConfigureAwait(false))[0];
    }

    private static PendingEmbedding ReadPending(DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5), reader.GetInt32(6));
}
