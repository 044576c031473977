using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Soma.Core.Memory;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>
/// The memory service's store on PostgreSQL: memories in one table with a generated <c>tsvector</c> (the
/// <c>simple</c> configuration: no stemming, no stop words, like SQLite's unicode61) under a GIN index, links per tenant.
/// A batch is one transaction sent as one <see cref="NpgsqlBatch"/> round trip, which also queues each written memory for
/// its vector (<see cref="PostgresMemoryVectorStore"/>).
/// Scoring (see <see cref="MemoryScore"/>): <c>relevance = r / (r + 0.1)</c> with <c>r = ts_rank()</c>,
/// <c>recency = 7 / (7 + age_days)</c>, <c>score = 0.8 · relevance + 0.2 · recency</c>.
/// </summary>
internal sealed class PostgresMemoryStore(PostgresStore store) : IMemoryStore
{
    // Scored in SQL so only the top_k rows leave the server.
    private static readonly string SearchSql = string.Create(CultureInfo.InvariantCulture, $"""
        WITH scored AS (
            SELECT m.key, m.updated_at, m.value,
                {MemoryScore.RelevanceWeight:0.0###} * (rk.r / (rk.r + 0.1))
                    + {MemoryScore.RecencyWeight:0.0###} * ({MemoryScore.RecencyHalfLifeDays:0.0###}
                        / ({MemoryScore.RecencyHalfLifeDays:0.0###} + greatest(extract(epoch FROM (@now - m.updated_at))::float8, 0.0) / 86400.0)) AS score
            FROM memories m
            CROSS JOIN LATERAL (SELECT greatest(ts_rank(m.search, to_tsquery('simple', @query))::float8, 0.0) AS r) rk
            WHERE m.tenant_id = @tenant AND m.namespace = @namespace
              AND m.search @@ to_tsquery('simple', @query)
              AND (@tags::text[] IS NULL OR m.tags @> @tags::text[])
        )
        SELECT key, score, value, count(*) OVER () AS total FROM scored
        WHERE score >= @min
        ORDER BY score DESC, updated_at DESC, key
        LIMIT @top
        """);

    private const string UpsertSql = """
        INSERT INTO memories (tenant_id, namespace, key, value, content, tags, trace_id, created_at, updated_at)
        VALUES (@tenant, @namespace, @key, @value, @content, @tags, @trace, @now, @now)
        ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET
            value = excluded.value, content = excluded.content, tags = excluded.tags,
            trace_id = excluded.trace_id, updated_at = excluded.updated_at, version = memories.version + 1
        RETURNING xmax <> 0
        """;

    // Queues the written memories for a vector (decision 0011), in the write's transaction: a memory already queued is
    // due again at once with its attempts reset and its lease cleared, so its new text is embedded next (a save of the
    // old text keeps it queued: its version no longer matches). Rows are taken in id order, as a vector save takes them,
    // so the two never wait for each other's row locks in a cycle.
    private const string EnqueueSql = """
        INSERT INTO memory_embedding_queue (memory_id, version, due_at, attempts, leased_until)
        SELECT id, version, @now, 0, NULL FROM memories WHERE tenant_id = @tenant AND namespace = @namespace AND key = ANY(@keys)
        ORDER BY id
        ON CONFLICT (memory_id) DO UPDATE SET version = excluded.version, due_at = excluded.due_at, attempts = 0, leased_until = NULL
        """;

    private const string LinkSql = """
        INSERT INTO memory_links (tenant_id, from_key, to_key, rel, weight) VALUES (@tenant, @from, @to, @rel, @weight)
        ON CONFLICT (tenant_id, from_key, to_key, rel) DO UPDATE SET weight = excluded.weight
        """;

    /// <inheritdoc />
    public async Task<IReadOnlyList<RememberResponse>> UpsertAsync(
        string tenant, string @namespace, IReadOnlyList<RememberItem> items, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return [];
        }

        var results = new RememberResponse[items.Count];
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // The memories first, in order (one result set each: whether the row existed), then the links.
                    using var batch = new NpgsqlBatch(connection, transaction);
                    foreach (var item in items)
                    {
                        var command = new NpgsqlBatchCommand(UpsertSql);
                        command.Parameters.Add(new NpgsqlParameter("tenant", tenant));
                        command.Parameters.Add(new NpgsqlParameter("namespace", @namespace));
                        command.Parameters.Add(new NpgsqlParameter("key", item.Key));
                        command.Parameters.Add(new NpgsqlParameter("value", item.Value.GetRawText()));
                        command.Parameters.Add(new NpgsqlParameter("content", MemoryText.Searchable(item.Value)));
                        command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (item.Tags ?? []).ToArray() });
                        command.Parameters.Add(new NpgsqlParameter("trace", NpgsqlDbType.Text) { Value = (object?)item.TraceId ?? DBNull.Value });
                        command.Parameters.Add(new NpgsqlParameter("now", now.ToUniversalTime()));
                        batch.BatchCommands.Add(command);
                    }

                    foreach (var item in items)
                    {
                        foreach (var link in item.Links ?? [])
                        {
                            batch.BatchCommands.Add(LinkCommand(tenant, item.Key, link.Target, link.Rel, link.Weight));
                        }
                    }

                    var enqueue = new NpgsqlBatchCommand(EnqueueSql);
                    enqueue.Parameters.Add(new NpgsqlParameter("tenant", tenant));
                    enqueue.Parameters.Add(new NpgsqlParameter("namespace", @namespace));
                    enqueue.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = items.Select(i => i.Key).Distinct(StringComparer.Ordinal).ToArray() });
                    enqueue.Parameters.Add(new NpgsqlParameter("now", now.ToUniversalTime()));
                    batch.BatchCommands.Add(enqueue);

                    using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                    {
                        for (var i = 0; i < items.Count; i++)
                        {
                            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                            results[i] = new RememberResponse(true, items[i].Key, reader.GetBoolean(0));
                            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (NpgsqlException ex)
            {
                throw PostgresStore.Translate(ex, "store memories");
            }
        }

        return results;
    }

    /// <inheritdoc />
    public async Task<RecallResponse> SearchAsync(RecallRequest request, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var terms = MemoryText.QueryTerms(request.Query);
        if (terms.Count == 0 || request.TopK <= 0)
        {
            return new RecallResponse([], 0, false);
        }

        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        var total = 0;
        List<(string Key, double Score, JsonElement Value)> rows;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = SearchSql;

            // Each term is letters and digits only, so a quoted term is one plain lexeme: never an operator.
            command.AddText("query", string.Join(" | ", terms.Select(t => $"'{t}'")));
            command.Add("tenant", request.Tenant);
            command.Add("namespace", request.Namespace);
            command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                Value = request.Tags is { Count: > 0 } wanted ? wanted.ToArray() : DBNull.Value,
            });
            command.Add("min", request.MinScore ?? 0.0);
            command.Add("top", request.TopK);
            command.Add("now", now);
            rows = await ReadAllAsync(command, r =>
            {
                total = (int)r.GetInt64(3);
                return (r.GetString(0), Math.Clamp(r.GetDouble(1), 0, 1), JsonElement.Parse(r.GetString(2)));
            }, "search memories", cancellationToken).ConfigureAwait(false);
        }

        if (rows.Count == 0)
        {
            return new RecallResponse([], 0, false);
        }

        var links = await ReadLinksAsync(connection, request.Tenant, rows.Select(r => r.Key).ToArray(), cancellationToken).ConfigureAwait(false);
        return new RecallResponse(
            rows.Select(r => new RecallResult(r.Key, r.Score, r.Value, links.TryGetValue(r.Key, out var l) ? l : [])).ToList(),
            total,
            false);
    }

    /// <inheritdoc />
    public async Task<bool> LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(request);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();

        // One statement: the link is written only when the source exists in some namespace of the tenant.
        command.CommandText = """
            INSERT INTO memory_links (tenant_id, from_key, to_key, rel, weight)
            SELECT @tenant, @from, @to, @rel, @weight
            WHERE EXISTS (SELECT 1 FROM memories WHERE tenant_id = @tenant AND key = @from)
            ON CONFLICT (tenant_id, from_key, to_key, rel) DO UPDATE SET weight = excluded.weight
            """;
        command.Add("tenant", tenant);
        command.Add("from", request.FromKey);
        command.Add("to", request.ToKey);
        command.Add("rel", request.Type);
        command.Add("weight", request.Weight);
        return await ExecuteAsync(command, "link memories", cancellationToken).ConfigureAwait(false) == 1;
    }

    private static NpgsqlBatchCommand LinkCommand(string tenant, string from, string to, string rel, double weight)
    {
        var command = new NpgsqlBatchCommand(LinkSql);
        command.Parameters.Add(new NpgsqlParameter("tenant", tenant));
        command.Parameters.Add(new NpgsqlParameter("from", from));
        command.Parameters.Add(new NpgsqlParameter("to", to));
        command.Parameters.Add(new NpgsqlParameter("rel", rel));
        command.Parameters.Add(new NpgsqlParameter("weight", weight));
        return command;
    }

    /// <summary>The outgoing links of these keys of <paramref name="tenant"/>, by key, in (relation, target) order.</summary>
    internal static async Task<Dictionary<string, List<MemoryLink>>> ReadLinksAsync(
        NpgsqlConnection connection, string tenant, string[] keys, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT from_key, rel, to_key, weight FROM memory_links
            WHERE tenant_id = @tenant AND from_key = ANY(@keys)
            ORDER BY from_key, rel, to_key
            """;
        command.Add("tenant", tenant);
        command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys });
        var rows = await ReadAllAsync(command, r => (From: r.GetString(0), Link: new MemoryLink(r.GetString(1), r.GetString(2), r.GetDouble(3))), "read memory links", cancellationToken)
            .ConfigureAwait(false);
        var links = new Dictionary<string, List<MemoryLink>>(StringComparer.Ordinal);
        foreach (var (from, link) in rows)
        {
            if (!links.TryGetValue(from, out var list))
            {
                links[from] = list = [];
            }

            list.Add(link);
        }

        return links;
    }
}
