using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Soma.Core.Memory;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>
/// The memory service's store on SQLite: memories in one table; a contentless FTS5 index (unicode61, diacritics folded)
/// of their words and tags, each token prefixed with a hash of the memory's tenant and namespace, so a search reads
/// only its own namespace's postings; links per tenant. A batch is one write transaction on the store's single writer,
/// its rows written in a few multi-row statements kept compiled, so a 25-item batch costs one fsync; the same
/// transaction queues each written memory for its vector (<see cref="SqliteMemoryVectorStore"/>).
/// <para>
/// Scoring (see <see cref="MemoryScore"/>): <c>relevance = r / (r + 1)</c> with <c>r = -bm25()</c>,
/// <c>recency = 7 / (7 + age_days)</c>, <c>score = 0.8 · relevance + 0.2 · recency</c>. At most
/// <see cref="RankWindow"/> matches are ranked: when more match, the most recently created ones are, which bounds a
/// search's cost however common its words are; <c>total_results</c> then counts the matches (tags applied, up to
/// <see cref="CountCap"/>, like a search engine's "10,000+") and <c>min_score</c> filters the ranked ones. Equal
/// scores are ordered by newer update, then later creation.
/// </para>
/// </summary>
internal sealed class SqliteMemoryStore(SqliteStore store) : IMemoryStore
{
    /// <summary>The most matches a search ranks.</summary>
    public const int RankWindow = 1000;

    /// <summary>The most matches a search counts: above it, <c>total_results</c> says this number (at least this many matched).</summary>
    public const int CountCap = 10_000;

    private const double TicksPerDay = TimeSpan.TicksPerDay;

    // The window of candidates is taken inside FTS5 in rowid order (no scoring needed to pick them) with their update
    // times from beside the index; only those are scored, and only the top_k rows are read from memories, where they
    // are checked against the exact tenant, namespace and tags (the index tokens are hashes).
    private static readonly string SearchSql = string.Create(CultureInfo.InvariantCulture, $"""
        WITH candidates AS MATERIALIZED (
            SELECT rowid AS id, updated_at, max(-bm25(memories_fts, 1.0, 0.0, 0.0), 0.0) AS r FROM memories_fts
            WHERE memories_fts MATCH $match
            ORDER BY rowid DESC LIMIT {RankWindow}
        ),
        scored AS (
            SELECT id, updated_at,
                {MemoryScore.RelevanceWeight:0.0###} * (r / (r + 1.0))
                    + {MemoryScore.RecencyWeight:0.0###} * ({MemoryScore.RecencyHalfLifeDays:0.0###} / ({MemoryScore.RecencyHalfLifeDays:0.0###} + max($now - updated_at, 0) / {TicksPerDay:0.0###})) AS score
            FROM candidates
        ),
        ranked AS (
            SELECT id, updated_at, score, count(*) OVER () AS passed FROM scored
            WHERE score >= $min
            ORDER BY score DESC, updated_at DESC, id DESC
            LIMIT $top
        )
        SELECT m.key, r.score, m.value, r.passed, k.candidates,
            m.tenant_id = $tenant AND m.namespace = $namespace AND ($tags IS NULL OR NOT EXISTS (
                SELECT 1 FROM json_each($tags) wanted
                WHERE NOT EXISTS (SELECT 1 FROM json_each(m.tags) has WHERE has.value = wanted.value))) AS own
        FROM (SELECT count(*) AS candidates FROM candidates) k
        LEFT JOIN ranked r ON 1
        LEFT JOIN memories m ON m.id = r.id
        ORDER BY r.score DESC, r.updated_at DESC, r.id DESC
        """);

    // Whether a key exists in any namespace of a tenant, on the unique (tenant_id, namespace, key) index alone: each of the
    // tenant's namespaces is found by one seek past the previous one (a skip-scan; a tenant has few), then the key in it.
    private const string KeyInAnyNamespaceSql = """
        WITH RECURSIVE namespaces (name) AS (
            SELECT min(namespace) FROM memories WHERE tenant_id = $tenant
            UNION ALL
            SELECT (SELECT min(namespace) FROM memories WHERE tenant_id = $tenant AND namespace > name) FROM namespaces WHERE name IS NOT NULL
        )
        SELECT 1 FROM namespaces JOIN memories m ON m.tenant_id = $tenant AND m.namespace = namespaces.name AND m.key = $key
        LIMIT 1
        """;

    // A batch is written in multi-row statements: executing a statement per memory and per table (row, index row, link)
    // cost more than the rows themselves, and the service's upsert of 25 memories took about a third less time with the
    // rows together. A few fixed sizes keep the SQL texts few, so each stays compiled in the writer's statement cache.
    private const int StatementSizes = 7;

    /// <summary>The most rows one statement writes.</summary>
    private const int MaxRowsPerStatement = 1 << (StatementSizes - 1);

    private static readonly string[] UpsertSql = ForEachSize(
        "INSERT INTO memories (tenant_id, namespace, key, value, content, tags, trace_id, created_at, updated_at) VALUES ",
        i => string.Create(CultureInfo.InvariantCulture, $"($tenant, $namespace, $key{i}, $value{i}, $content{i}, $tags{i}, $trace{i}, $now, $now)"),
        """

        ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET
            value = excluded.value, content = excluded.content, tags = excluded.tags,
            trace_id = excluded.trace_id, updated_at = excluded.updated_at, version = memories.version + 1
        RETURNING id, key, version
        """);

    private static readonly string[] IndexSql = ForEachSize(
        "INSERT INTO memories_fts (rowid, terms, tag_terms, updated_at) VALUES ",
        i => string.Create(CultureInfo.InvariantCulture, $"($id{i}, $terms{i}, $tag_terms{i}, $now)"),
        "");

    private static readonly string[] LinkSql = ForEachSize(
        "INSERT INTO memory_links (tenant_id, from_key, to_key, rel, weight) VALUES ",
        i => string.Create(CultureInfo.InvariantCulture, $"($tenant, $from{i}, $to{i}, $rel{i}, $weight{i})"),
        """

        ON CONFLICT (tenant_id, from_key, to_key, rel) DO UPDATE SET weight = excluded.weight
        """);

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

        var texts = new string[items.Count];
        var occurrences = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            texts[i] = MemoryText.Searchable(items[i].Value);
            occurrences[items[i].Key] = occurrences.GetValueOrDefault(items[i].Key) + 1;
        }

        var results = new RememberResponse[items.Count];
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var written = await UpsertRowsAsync(transaction, tenant, @namespace, items, texts, Ticks(now), cancellationToken).ConfigureAwait(false);

            // A key this batch wrote c times had version (version now − c) before it: 0 when it is new. Its second write
            // within the batch is an update whatever it was before.
            var seen = new Dictionary<string, int>(occurrences.Count, StringComparer.Ordinal);
            var unindex = new List<long>();
            var index = new List<(long Id, int Item)>(occurrences.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var key = items[i].Key;
                var (id, version) = written[key];
                var earlier = seen.GetValueOrDefault(key);
                seen[key] = earlier + 1;
                var existed = version - occurrences[key] >= 1;
                results[i] = new RememberResponse(true, key, existed || earlier > 0);
                if (existed && earlier == 0)
                {
                    unindex.Add(id);
                }

                // Indexed once, with the text of its last write in the batch.
                if (earlier + 1 == occurrences[key])
                {
                    index.Add((id, i));
                }
            }

            await UnindexAsync(transaction, unindex, cancellationToken).ConfigureAwait(false);
            await IndexAsync(transaction, ScopeToken(tenant, @namespace), items, texts, index, Ticks(now), cancellationToken).ConfigureAwait(false);
            await UpsertLinksAsync(transaction, tenant, items, cancellationToken).ConfigureAwait(false);
            await EnqueueForEmbeddingAsync(transaction, [.. index.Select(x => x.Id)], now, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "store memories");
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

        var match = MatchExpression(request, terms);
        var results = new List<(string Key, double Score, JsonElement Value)>(Math.Min(request.TopK, 100));
        long total = 0;
        try
        {
            using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
            long candidates = 0;
            using (var command = connection.CreateCommand())
            {
                command.CommandText = SearchSql;
                command.Parameters.AddWithValue("$match", match);
                command.Parameters.AddWithValue("$tenant", request.Tenant);
                command.Parameters.AddWithValue("$namespace", request.Namespace);
                command.Parameters.AddWithValue("$tags", request.Tags is { Count: > 0 } wanted ? TagsJson(wanted) : DBNull.Value);
                command.Parameters.AddWithValue("$min", request.MinScore ?? 0.0);
                command.Parameters.AddWithValue("$top", request.TopK);
                command.Parameters.AddWithValue("$now", Ticks(now));
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    candidates = reader.GetInt64(4);

                    // A row of another namespace could only be here through a 64-bit hash collision; it is never returned.
                    if (!reader.IsDBNull(0) && reader.GetBoolean(5))
                    {
                        results.Add((reader.GetString(0), Math.Clamp(reader.GetDouble(1), 0, 1), JsonElement.Parse(reader.GetString(2))));
                        total = reader.GetInt64(3);
                    }
                }
            }

            if (candidates >= RankWindow)
            {
                // More matched than were ranked: count inside the index (namespace and tags are part of the match), up to a cap,
                // because counting costs as much as the match set is large.
                using var count = connection.CreateCommand();
                count.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH $match ORDER BY rowid DESC LIMIT {CountCap})";
                count.Parameters.AddWithValue("$match", match);
                total = Math.Max(total, (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
            }

            if (results.Count == 0)
            {
                return new RecallResponse([], (int)Math.Min(total, int.MaxValue), false);
            }

            var links = await ReadLinksAsync(connection, request.Tenant, results.Select(r => r.Key), cancellationToken).ConfigureAwait(false);
            return new RecallResponse(
                results.Select(r => new RecallResult(r.Key, r.Score, r.Value, links.TryGetValue(r.Key, out var l) ? l : [])).ToList(),
                (int)Math.Min(total, int.MaxValue),
                false);
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "search memories");
        }
    }

    /// <inheritdoc />
    public async Task<bool> LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(request);
        using var transaction = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using (var exists = transaction.CreateCommand(KeyInAnyNamespaceSql))
            {
                exists.Parameters.AddWithValue("$tenant", tenant);
                exists.Parameters.AddWithValue("$key", request.FromKey);
                if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                {
                    return false;
                }
            }

            using (var link = CreateLinkCommand(transaction, tenant))
            {
                await UpsertLinkAsync(link, request.FromKey, request.ToKey, request.Type, request.Weight, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "link memories");
        }
    }

    /// <summary>
    /// Inserts or updates the batch's rows, in the batch's order (a key repeated within it is updated by its later
    /// writes), and returns each key's id and its version after the batch.
    /// </summary>
    private static async Task<Dictionary<string, (long Id, long Version)>> UpsertRowsAsync(
        SqliteStoreTransaction transaction, string tenant, string @namespace, IReadOnlyList<RememberItem> items, string[] texts, long now,
        CancellationToken cancellationToken)
    {
        var written = new Dictionary<string, (long Id, long Version)>(items.Count, StringComparer.Ordinal);
        foreach (var (first, rows, size) in Statements(items.Count))
        {
            using var upsert = transaction.CreateCommand(UpsertSql[size]);
            var parameters = upsert.Parameters;
            parameters.AddWithValue("$tenant", tenant);
            parameters.AddWithValue("$namespace", @namespace);
            parameters.AddWithValue("$now", now);
            for (var row = 0; row < rows; row++)
            {
                var item = items[first + row];
                parameters.AddWithValue(Names.Key[row], item.Key);
                parameters.AddWithValue(Names.Value[row], item.Value.GetRawText());
                parameters.AddWithValue(Names.Content[row], texts[first + row]);
                parameters.AddWithValue(Names.Tags[row], TagsJson(item.Tags));
                parameters.AddWithValue(Names.Trace[row], OrNull(item.TraceId));
            }

            // RETURNING gives a row per write, in no promised order; a repeated key's highest version is its last.
            using var reader = await upsert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = reader.GetString(1);
                var version = reader.GetInt64(2);
                if (!written.TryGetValue(key, out var known) || version > known.Version)
                {
                    written[key] = (reader.GetInt64(0), version);
                }
            }
        }

        return written;
    }

    // contentless_delete: an updated memory's old index row goes by rowid before its new text is indexed.
    private static async Task UnindexAsync(SqliteStoreTransaction transaction, List<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        using var unindex = transaction.CreateCommand("DELETE FROM memories_fts WHERE rowid = $id");
        var id = unindex.Parameters.Add("$id", SqliteType.Integer);
        foreach (var value in ids)
        {
            id.Value = value;
            await unindex.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task IndexAsync(
        SqliteStoreTransaction transaction, string scope, IReadOnlyList<RememberItem> items, string[] texts, List<(long Id, int Item)> rows, long now,
        CancellationToken cancellationToken)
    {
        foreach (var (first, count, size) in Statements(rows.Count))
        {
            using var index = transaction.CreateCommand(IndexSql[size]);
            var parameters = index.Parameters;
            parameters.AddWithValue("$now", now);
            for (var row = 0; row < count; row++)
            {
                var (id, item) = rows[first + row];
                parameters.AddWithValue(Names.Id[row], id);
                parameters.AddWithValue(Names.Terms[row], IndexedTerms(scope, texts[item]));
                parameters.AddWithValue(Names.TagTerms[row], string.Join(' ', (items[item].Tags ?? []).Select(t => TagToken(scope, t))));
            }

            await index.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // In the batch's order, so a link written twice keeps its later weight.
    private static async Task UpsertLinksAsync(SqliteStoreTransaction transaction, string tenant, IReadOnlyList<RememberItem> items, CancellationToken cancellationToken)
    {
        var links = new List<(string From, MemoryLink Link)>();
        foreach (var item in items)
        {
            foreach (var link in item.Links ?? [])
            {
                links.Add((item.Key, link));
            }
        }

        foreach (var (first, count, size) in Statements(links.Count))
        {
            using var upsert = transaction.CreateCommand(LinkSql[size]);
            var parameters = upsert.Parameters;
            parameters.AddWithValue("$tenant", tenant);
            for (var row = 0; row < count; row++)
            {
                var (from, link) = links[first + row];
                parameters.AddWithValue(Names.From[row], from);
                parameters.AddWithValue(Names.To[row], link.Target);
                parameters.AddWithValue(Names.Rel[row], link.Rel);
                parameters.AddWithValue(Names.Weight[row], link.Weight);
            }

            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The statements for <paramref name="count"/> rows: the largest power of two that fits (at most
    /// <see cref="MaxRowsPerStatement"/>), then the next, so 25 rows take 16 + 8 + 1. <c>Size</c> is the power, the index
    /// of the SQL text for that many rows.
    /// </summary>
    private static IEnumerable<(int First, int Rows, int Size)> Statements(int count)
    {
        for (var first = 0; first < count;)
        {
            var size = Math.Min(BitOperations.Log2((uint)(count - first)), StatementSizes - 1);
            yield return (first, 1 << size, size);
            first += 1 << size;
        }
    }

    /// <summary>One SQL text per statement size: 1, 2, 4 … <see cref="MaxRowsPerStatement"/> rows of <paramref name="row"/>'s values.</summary>
    private static string[] ForEachSize(string head, Func<int, string> row, string tail) =>
        [.. Enumerable.Range(0, StatementSizes).Select(size =>
            head + string.Join(", ", Enumerable.Range(0, 1 << size).Select(row)) + tail)];

    /// <summary>
    /// Queues the written memories for a vector (decision 0011), in the write's transaction and in one statement for the
    /// batch: a memory already queued is due again at once with its attempts reset and its lease cleared, so its new
    /// text is embedded next (a save of the old text keeps it queued: its version no longer matches).
    /// </summary>
    private static async Task EnqueueForEmbeddingAsync(SqliteStoreTransaction transaction, List<long> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.
        using var command = transaction.CreateCommand("""
            INSERT INTO memory_embedding_queue (memory_id, due_at, attempts, leased_until)
            SELECT DISTINCT value, $now, 0, NULL FROM json_each($ids) WHERE true
            ON CONFLICT (memory_id) DO UPDATE SET due_at = excluded.due_at, attempts = 0, leased_until = NULL
            """);
        command.Parameters.AddWithValue("$now", Ticks(now));
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids.ToArray(), SqliteJsonContext.Default.Int64Array));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqliteCommand CreateLinkCommand(SqliteStoreTransaction transaction, string tenant)
    {
        var command = transaction.CreateCommand("""
            INSERT INTO memory_links (tenant_id, from_key, to_key, rel, weight) VALUES ($tenant, $from, $to, $rel, $weight)
            ON CONFLICT (tenant_id, from_key, to_key, rel) DO UPDATE SET weight = excluded.weight
            """);
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.Add("$from", SqliteType.Text);
        command.Parameters.Add("$to", SqliteType.Text);
        command.Parameters.Add("$rel", SqliteType.Text);
        command.Parameters.Add("$weight", SqliteType.Real);
        return command;
    }

    private static async Task UpsertLinkAsync(SqliteCommand command, string from, string to, string rel, double weight, CancellationToken cancellationToken)
    {
        command.Parameters["$from"].Value = from;
        command.Parameters["$to"].Value = to;
        command.Parameters["$rel"].Value = rel;
        command.Parameters["$weight"].Value = weight;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The outgoing links of these keys of <paramref name="tenant"/>, by key, in (relation, target) order.</summary>
    internal static async Task<Dictionary<string, List<MemoryLink>>> ReadLinksAsync(
        SqliteConnection connection, string tenant, IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT from_key, rel, to_key, weight FROM memory_links
            WHERE tenant_id = $tenant AND from_key IN (SELECT value FROM json_each($keys))
            ORDER BY from_key, rel, to_key
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$keys", JsonSerializer.Serialize(keys.ToArray(), SqliteJsonContext.Default.StringArray));
        var links = new Dictionary<string, List<MemoryLink>>(StringComparer.Ordinal);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var from = reader.GetString(0);
            if (!links.TryGetValue(from, out var list))
            {
                links[from] = list = [];
            }

            list.Add(new MemoryLink(reader.GetString(1), reader.GetString(2), reader.GetDouble(3)));
        }

        return links;
    }

    /// <summary>
    /// The FTS5 query: the query's terms, each prefixed with the namespace's scope token, OR-ed within the terms column,
    /// AND every wanted tag's token. Each term is letters and digits only and each token hex and underscores, so quoting
    /// makes each a plain string: nothing the caller typed can become an operator.
    /// </summary>
    private static string MatchExpression(RecallRequest request, IReadOnlyList<string> terms)
    {
        var scope = ScopeToken(request.Tenant, request.Namespace);
        var match = new StringBuilder("terms : (");
        for (var i = 0; i < terms.Count; i++)
        {
            match.Append(i == 0 ? "\"" : " OR \"").Append(scope).Append('_').Append(terms[i]).Append('"');
        }

        match.Append(')');
        foreach (var tag in request.Tags ?? [])
        {
            match.Append(" AND tag_terms : \"").Append(TagToken(scope, tag)).Append('"');
        }

        return match.ToString();
    }

    /// <summary>The indexed text of a memory: each of its words (the same split as a query's) prefixed with its scope.</summary>
    private static string IndexedTerms(string scope, string text)
    {
        var terms = new StringBuilder(text.Length + 64);
        foreach (var word in MemoryText.Words(text))
        {
            terms.Append(scope).Append('_').Append(word).Append(' ');
        }

        return terms.ToString();
    }

    // Tokens are hashes (64 bits, hex) so any tenant, namespace or tag becomes part of one token; a collision could
    // only add a candidate, which the row check then drops.
    private static string ScopeToken(string tenant, string @namespace) => "s" + Hash($"{tenant}\0{@namespace}");

    private static string TagToken(string scope, string tag) => $"{scope}_t{Hash(tag)}";

    private static string Hash(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    internal static string TagsJson(IReadOnlyList<string>? tags) =>
        JsonSerializer.Serialize(tags is null ? [] : tags.ToArray(), SqliteJsonContext.Default.StringArray);

    // The parameter names of each row of a multi-row statement, made once.
    private static class Names
    {
        public static readonly string[] Key = Of("$key");
        public static readonly string[] Value = Of("$value");
        public static readonly string[] Content = Of("$content");
        public static readonly string[] Tags = Of("$tags");
        public static readonly string[] Trace = Of("$trace");
        public static readonly string[] Id = Of("$id");
        public static readonly string[] Terms = Of("$terms");
        public static readonly string[] TagTerms = Of("$tag_terms");
        public static readonly string[] From = Of("$from");
        public static readonly string[] To = Of("$to");
        public static readonly string[] Rel = Of("$rel");
        public static readonly string[] Weight = Of("$weight");

        private static string[] Of(string prefix) =>
            [.. Enumerable.Range(0, MaxRowsPerStatement).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture))];
    }
}
