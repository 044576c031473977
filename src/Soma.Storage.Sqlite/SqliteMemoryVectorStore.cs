using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Soma.Core.Memory;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>
/// The vectors behind recall by meaning on SQLite (migration <c>0012_memory_vectors</c>): <c>memory_vectors</c> holds a
/// float32 little-endian blob per memory and model with the memory version it was made from; its rowid is the save
/// sequence (<c>AUTOINCREMENT</c>, so a replaced vector gets a number above every earlier one), and the store's single
/// writer makes the sequences commit in order. <c>memory_embedding_queue</c> holds the memories waiting for a vector,
/// filled by <see cref="SqliteMemoryStore.UpsertAsync"/> in each write's transaction. Every write here is one
/// transaction on the single writer, so a lease is exclusive without row locks.
/// </summary>
internal sealed class SqliteMemoryVectorStore(SqliteStore store) : IMemoryVectorStore
{
    private const string DueSql = "due_at <= $now AND (leased_until IS NULL OR leased_until <= $now)";

    // A vector is current when it was made from the memory's present version.
    private const string HasCurrentVector =
        "EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id AND v.model = $model AND v.version >= m.version)";

    /// <inheritdoc />
    public async Task<IReadOnlyList<PendingEmbedding>> LeasePendingAsync(int max, TimeSpan leaseFor, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseFor, TimeSpan.Zero);

        // An idle worker polls: a read answers "nothing due" without taking the single writer from memory writes.
        var due = await ScalarAsync(
            $"SELECT EXISTS (SELECT 1 FROM memory_embedding_queue WHERE {DueSql})",
            command => command.Parameters.AddWithValue("$now", Ticks(now)),
            "lease memories to embed",
            cancellationToken).ConfigureAwait(false);
        if (due == 0)
        {
            return [];
        }

        var leased = new List<PendingEmbedding>(Math.Min(max, 1024));
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using (var select = transaction.CreateCommand($"""
                SELECT m.id, m.tenant_id, m.namespace, m.key, m.content, m.version, q.attempts
                FROM memory_embedding_queue q JOIN memories m ON m.id = q.memory_id
                WHERE {DueSql}
                ORDER BY q.due_at, q.memory_id
                LIMIT $max
                """))
            {
                select.Parameters.AddWithValue("$now", Ticks(now));
                select.Parameters.AddWithValue("$max", max);
                using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    leased.Add(ReadPending(reader));
                }
            }

            if (leased.Count > 0)
            {
                using var lease = transaction.CreateCommand(
                    "UPDATE memory_embedding_queue SET leased_until = $until WHERE memory_id IN (SELECT value FROM json_each($ids))");
                lease.Parameters.AddWithValue("$until", Ticks(now + leaseFor));
                lease.Parameters.AddWithValue("$ids", IdsJson(leased.Select(p => p.MemoryId)));
                await lease.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "lease memories to embed");
        }

        return leased;
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

        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var version = transaction.CreateCommand("SELECT version FROM memories WHERE id = $id");
            var versionId = version.Parameters.Add("$id", SqliteType.Integer);

            // A vector replaces the memory's earlier one of the model unless that one was made from a later version
            // (a slow worker's save must not put an older text's vector back). Deleted and inserted, not updated, so it
            // draws a new sequence.
            using var replace = transaction.CreateCommand(
                "DELETE FROM memory_vectors WHERE memory_id = $id AND model = $model AND version <= $version");
            using var insert = transaction.CreateCommand("""
                INSERT INTO memory_vectors (memory_id, model, version, dims, vector)
                SELECT $id, $model, $version, $dims, $vector
                WHERE NOT EXISTS (SELECT 1 FROM memory_vectors WHERE memory_id = $id AND model = $model)
                """);
            foreach (var command in (SqliteCommand[])[replace, insert])
            {
                command.Parameters.Add("$id", SqliteType.Integer);
                command.Parameters.Add("$model", SqliteType.Text);
                command.Parameters.Add("$version", SqliteType.Integer);
            }

            var dims = insert.Parameters.Add("$dims", SqliteType.Integer);
            var blob = insert.Parameters.Add("$vector", SqliteType.Blob);
            using var unqueue = transaction.CreateCommand("DELETE FROM memory_embedding_queue WHERE memory_id = $id");
            var unqueueId = unqueue.Parameters.Add("$id", SqliteType.Integer);

            foreach (var vector in vectors)
            {
                versionId.Value = vector.MemoryId;

                // A memory that no longer exists has no vectors (they went with it): this one is dropped.
                if (await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long current)
                {
                    continue;
                }

                foreach (var command in (SqliteCommand[])[replace, insert])
                {
                    command.Parameters["$id"].Value = vector.MemoryId;
                    command.Parameters["$model"].Value = vector.Model;
                    command.Parameters["$version"].Value = vector.Version;
                }

                dims.Value = vector.Vector.Length;
                blob.Value = MemoryVectorBlob.Encode(vector.Vector);
                await replace.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

                // Updated since it was leased: it stays queued for its new text.
                if (dequeue && current == vector.Version)
                {
                    unqueueId.Value = vector.MemoryId;
                    await unqueue.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "save memory vectors");
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

        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = transaction.CreateCommand("""
                UPDATE memory_embedding_queue SET due_at = $due, attempts = attempts + 1, leased_until = NULL
                WHERE memory_id IN (SELECT value FROM json_each($ids))
                """);
            command.Parameters.AddWithValue("$due", Ticks(retryAt));
            command.Parameters.AddWithValue("$ids", IdsJson(memoryIds.Distinct()));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "put memories back in the embedding queue");
        }
    }

    /// <inheritdoc />
    public async Task<long> CountPendingAsync(CancellationToken cancellationToken = default) =>
        await ScalarAsync("SELECT count(*) FROM memory_embedding_queue", _ => { }, "count memories waiting for a vector", cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<long> EnqueueMissingAsync(string model, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = transaction.CreateCommand($"""
                INSERT INTO memory_embedding_queue (memory_id, due_at, attempts, leased_until)
                SELECT m.id, $now, 0, NULL FROM memories m WHERE NOT {HasCurrentVector}
                ON CONFLICT (memory_id) DO NOTHING
                """);
            command.Parameters.AddWithValue("$model", model);
            command.Parameters.AddWithValue("$now", Ticks(now));
            var queued = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return queued;
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "queue memories without a vector");
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredVector>> ReadVectorsAsync(long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var vectors = new List<StoredVector>(Math.Min(max, 4096));
        try
        {
            using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT v.sequence, v.memory_id, m.tenant_id, m.namespace, m.key, v.model, v.dims, v.vector
                FROM memory_vectors v JOIN memories m ON m.id = v.memory_id
                WHERE v.sequence > $after
                ORDER BY v.sequence
                LIMIT $max
                """;
            command.Parameters.AddWithValue("$after", afterSequence);
            command.Parameters.AddWithValue("$max", max);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var buffer = Array.Empty<byte>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                vectors.Add(new StoredVector(
                    reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                    MemoryVectorBlob.Read(reader, 7, reader.GetInt32(6), ref buffer)));
            }
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read memory vectors");
        }

        return vectors;
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

        var found = new Dictionary<string, (JsonElement Value, DateTimeOffset UpdatedAt)>(StringComparer.Ordinal);
        try
        {
            using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            using (var command = connection.CreateCommand())
            {
                command.CommandText = """
                    SELECT m.key, m.value, m.updated_at FROM memories m
                    WHERE m.tenant_id = $tenant AND m.namespace = $namespace AND m.key IN (SELECT value FROM json_each($keys))
                      AND ($tags IS NULL OR NOT EXISTS (
                          SELECT 1 FROM json_each($tags) wanted
                          WHERE NOT EXISTS (SELECT 1 FROM json_each(m.tags) has WHERE has.value = wanted.value)))
                    """;
                command.Parameters.AddWithValue("$tenant", tenant);
                command.Parameters.AddWithValue("$namespace", @namespace);
                command.Parameters.AddWithValue("$keys", SqliteMemoryStore.TagsJson(keys));
                command.Parameters.AddWithValue("$tags", tags is { Count: > 0 } ? SqliteMemoryStore.TagsJson(tags) : DBNull.Value);
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    found[reader.GetString(0)] = (JsonElement.Parse(reader.GetString(1)), Time(reader, 2));
                }
            }

            if (found.Count == 0)
            {
                return [];
            }

            var links = await SqliteMemoryStore.ReadLinksAsync(connection, tenant, found.Keys, cancellationToken).ConfigureAwait(false);

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
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read memories");
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PendingEmbedding>> ReadMissingAsync(string model, string? tenant, long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var missing = new List<PendingEmbedding>(Math.Min(max, 1024));
        try
        {
            using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                SELECT m.id, m.tenant_id, m.namespace, m.key, m.content, m.version, coalesce(q.attempts, 0)
                FROM memories m LEFT JOIN memory_embedding_queue q ON q.memory_id = m.id
                WHERE m.id > $after AND ($tenant IS NULL OR m.tenant_id = $tenant) AND NOT {HasCurrentVector}
                ORDER BY m.id
                LIMIT $max
                """;
            command.Parameters.AddWithValue("$model", model);
            command.Parameters.AddWithValue("$tenant", OrNull(tenant));
            command.Parameters.AddWithValue("$after", afterId);
            command.Parameters.AddWithValue("$max", max);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                missing.Add(ReadPending(reader));
            }
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read memories without a vector");
        }

        return missing;
    }

    /// <inheritdoc />
    public async Task<VectorCoverage> CoverageAsync(string model, string? tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        try
        {
            using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT count(*), count(v.memory_id)
                FROM memories m LEFT JOIN memory_vectors v ON v.memory_id = m.id AND v.model = $model AND v.version >= m.version
                WHERE $tenant IS NULL OR m.tenant_id = $tenant
                """;
            command.Parameters.AddWithValue("$model", model);
            command.Parameters.AddWithValue("$tenant", OrNull(tenant));
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new VectorCoverage(reader.GetInt64(0), reader.GetInt64(1));
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "measure vector coverage");
        }
    }

    private async Task<long> ScalarAsync(string sql, Action<SqliteCommand> bind, string operation, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            bind(command);
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, operation);
        }
    }

    private static PendingEmbedding ReadPending(DbDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5), reader.GetInt32(6));

    private static string IdsJson(IEnumerable<long> ids) => JsonSerializer.Serialize(ids.ToArray(), SqliteJsonContext.Default.Int64Array);
}
