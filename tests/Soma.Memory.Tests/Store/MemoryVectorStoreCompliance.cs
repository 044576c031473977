using System.Text.Json;
using Soma.Core.Memory;

namespace Soma.Memory.Tests.Store;

public sealed class SqliteMemoryVectorStoreCompliance(SqliteMemoryEngine engine) : MemoryVectorStoreCompliance<SqliteMemoryEngine>(engine);

public sealed class PostgresMemoryVectorStoreCompliance(PostgresMemoryEngine engine) : MemoryVectorStoreCompliance<PostgresMemoryEngine>(engine);

/// <summary>The <see cref="IMemoryVectorStore"/> contract every engine keeps (see docs/memory.md, decision 0011).</summary>
public abstract class MemoryVectorStoreCompliance<TEngine>(TEngine engine) : IClassFixture<TEngine>, IAsyncLifetime
    where TEngine : MemoryStoreEngine
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private const string Ns = "agent";
    private const string Model = "minilm";

    private MemoryStorePorts _ports = null!;

    private IMemoryStore Memories => _ports.Memories;

    private IMemoryVectorStore Vectors => _ports.Vectors;

    public async ValueTask InitializeAsync() => _ports = await engine.CreateAsync();

    public async ValueTask DisposeAsync() => await _ports.DisposeAsync();

    [Fact]
    public async Task Every_memory_write_queues_its_memory_with_its_searchable_text_even_in_a_batch()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("a", "first words", tags: ["user"]), Item("b", "second words"), Item("a", "first words again")], Now);
        await Memories.UpsertAsync(tenant, "other", [Item("a", "elsewhere")], Now);

        Assert.Equal(3, await Vectors.CountPendingAsync());
        var leased = await Vectors.LeasePendingAsync(10, Lease, Now);

        Assert.Equal(3, leased.Count);
        Assert.Equal(3, leased.Select(p => p.MemoryId).Distinct().Count());
        var a = Assert.Single(leased, p => p.Key == "a" && p.Namespace == Ns);
        Assert.Equal((tenant, "first words again", 0), (a.Tenant, a.Text, a.Attempts));
        Assert.Equal("second words", Assert.Single(leased, p => p.Key == "b").Text);
        Assert.Equal("elsewhere", Assert.Single(leased, p => p.Namespace == "other").Text);
    }

    [Fact]
    public async Task A_batch_that_fails_part_way_queues_nothing()
    {
        var tenant = NewTenant();

        await Assert.ThrowsAnyAsync<Exception>(() => Memories.UpsertAsync(tenant, Ns, [Item("first", "atomic words"), new RememberItem("broken", default)], Now));

        Assert.Equal(0, await Vectors.CountPendingAsync());
        Assert.Empty(await Vectors.LeasePendingAsync(10, Lease, Now));
        Assert.Equal(new VectorCoverage(0, 0), await Vectors.CoverageAsync(Model, null));
    }

    [Fact]
    public async Task A_lease_keeps_its_memories_from_a_second_caller_until_it_ends()
    {
        await Memories.UpsertAsync(NewTenant(), Ns, [Item("a", "one"), Item("b", "two"), Item("c", "three")], Now);

        var first = await Vectors.LeasePendingAsync(2, Lease, Now);
        var second = await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(1));

        Assert.Equal(2, first.Count);
        Assert.Equal(["c"], second.Select(p => p.Key));
        Assert.Empty(await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(59)));
        Assert.Equal(3, await Vectors.CountPendingAsync());

        // The first caller never finished: its lease runs out and the memories are leased again.
        var again = await Vectors.LeasePendingAsync(10, Lease, Now + Lease);
        Assert.Equal(first.Select(p => p.MemoryId).Order(), again.Select(p => p.MemoryId).Order());
    }

    [Fact]
    public async Task Saving_a_vector_takes_its_memory_off_the_queue()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("a", "one"), Item("b", "two")], Now);
        var leased = await Vectors.LeasePendingAsync(10, Lease, Now);

        await Vectors.SaveAsync([VectorFor(leased[0])], Now, dequeue: true);

        Assert.Equal(1, await Vectors.CountPendingAsync());
        Assert.Equal(new VectorCoverage(2, 1), await Vectors.CoverageAsync(Model, tenant));
        Assert.Equal([leased[1].MemoryId], (await Vectors.LeasePendingAsync(10, Lease, Now + Lease)).Select(p => p.MemoryId));
        var stored = Assert.Single(await Vectors.ReadVectorsAsync(0, 10));
        Assert.Equal((leased[0].MemoryId, tenant, Ns, leased[0].Key, Model), (stored.MemoryId, stored.Tenant, stored.Namespace, stored.Key, stored.Model));
    }

    [Fact]
    public async Task A_reindex_save_with_another_model_leaves_the_queue_for_the_configured_model()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("a", "one")], Now);
        var missing = Assert.Single(await Vectors.ReadMissingAsync("arctic-xs", tenant, 0, 10));

        await Vectors.SaveAsync([VectorFor(missing, model: "arctic-xs")], Now, dequeue: false);

        // Still waiting for the configured model's vector, which the embedding pass then gives it.
        Assert.Equal(1, await Vectors.CountPendingAsync());
        Assert.Equal(new VectorCoverage(1, 1), await Vectors.CoverageAsync("arctic-xs", tenant));
        Assert.Equal(new VectorCoverage(1, 0), await Vectors.CoverageAsync(Model, tenant));
        Assert.Equal([missing.MemoryId], (await Vectors.LeasePendingAsync(10, Lease, Now)).Select(p => p.MemoryId));
    }

    [Fact]
    public async Task A_memory_updated_after_its_lease_stays_queued_and_the_next_lease_gives_its_new_text()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "old text")], Now);
        var old = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now));

        // Written at the same instant: the version still tells the two apart.
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "new text")], Now);
        await Vectors.SaveAsync([VectorFor(old)], Now, dequeue: true);

        Assert.Equal(1, await Vectors.CountPendingAsync());
        Assert.Equal(new VectorCoverage(1, 0), await Vectors.CoverageAsync(Model, null));
        var current = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now));
        Assert.Equal((old.MemoryId, "new text"), (current.MemoryId, current.Text));
        Assert.True(current.Version > old.Version);

        await Vectors.SaveAsync([VectorFor(current)], Now, dequeue: true);
        Assert.Equal(0, await Vectors.CountPendingAsync());
        Assert.Equal(new VectorCoverage(1, 1), await Vectors.CoverageAsync(Model, null));
    }

    [Fact]
    public async Task A_late_save_of_an_older_text_does_not_replace_the_newer_vector()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "old text")], Now);
        var old = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now));
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "new text")], Now.AddSeconds(1));
        var current = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(1)));

        await Vectors.SaveAsync([VectorFor(current, seed: 2)], Now.AddSeconds(2), dequeue: true);
        await Vectors.SaveAsync([VectorFor(old, seed: 1)], Now.AddSeconds(3), dequeue: true);

        Assert.Equal(UnitVector(2, 8), Assert.Single(await Vectors.ReadVectorsAsync(0, 10)).Vector);
        Assert.Equal(0, await Vectors.CountPendingAsync());
        Assert.Equal(new VectorCoverage(1, 1), await Vectors.CoverageAsync(Model, null));
    }

    [Fact]
    public async Task A_failed_attempt_waits_until_its_retry_time_and_counts_attempts_until_the_memory_is_written_again()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "text")], Now);
        var leased = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now));

        await Vectors.RetryLaterAsync([leased.MemoryId], Now.AddSeconds(30));
        Assert.Empty(await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(29)));
        var retried = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(30)));
        Assert.Equal(1, retried.Attempts);

        // The retry clears the lease: due again at its retry time, not at the lease's end.
        await Vectors.RetryLaterAsync([leased.MemoryId], Now.AddSeconds(31));
        Assert.Equal(2, Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(31))).Attempts);
        Assert.Equal(1, await Vectors.CountPendingAsync());

        await Vectors.RetryLaterAsync([leased.MemoryId], Now.AddHours(1));
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "rewritten")], Now.AddSeconds(40));
        var rewritten = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now.AddSeconds(40)));
        Assert.Equal(("rewritten", 0), (rewritten.Text, rewritten.Attempts));
    }

    [Fact]
    public async Task Enqueue_missing_after_a_model_change_queues_every_memory_without_a_current_vector_of_that_model()
    {
        var (a, b) = (NewTenant(), NewTenant());
        await Memories.UpsertAsync(a, Ns, [Item("k1", "one"), Item("k2", "two")], Now);
        await Memories.UpsertAsync(b, Ns, [Item("k3", "three")], Now);
        await EmbedAllAsync(Now);
        Assert.Equal(0, await Vectors.EnqueueMissingAsync(Model, Now));

        Assert.Equal(3, await Vectors.EnqueueMissingAsync("arctic-xs", Now));
        Assert.Equal(0, await Vectors.EnqueueMissingAsync("arctic-xs", Now));
        Assert.Equal(3, await Vectors.CountPendingAsync());
        var leased = await Vectors.LeasePendingAsync(10, Lease, Now);
        await Vectors.SaveAsync(leased.Select(p => VectorFor(p, model: "arctic-xs")).ToList(), Now, dequeue: true);

        Assert.Equal(0, await Vectors.CountPendingAsync());
        Assert.Equal(new VectorCoverage(3, 3), await Vectors.CoverageAsync("arctic-xs", null));
        Assert.Equal(new VectorCoverage(2, 2), await Vectors.CoverageAsync(Model, a));
        Assert.Equal(new VectorCoverage(1, 1), await Vectors.CoverageAsync(Model, b));

        // A vector made before the memory's last update is not current: the first model's vector of k1 is stale now.
        await Memories.UpsertAsync(a, Ns, [Item("k1", "one, rewritten")], Now);
        await Vectors.SaveAsync((await Vectors.LeasePendingAsync(10, Lease, Now)).Select(p => VectorFor(p, model: "arctic-xs")).ToList(), Now, dequeue: true);
        Assert.Equal(new VectorCoverage(2, 1), await Vectors.CoverageAsync(Model, a));
        Assert.Equal(1, await Vectors.EnqueueMissingAsync(Model, Now));
    }

    [Fact]
    public async Task Reading_vectors_by_sequence_returns_each_saved_vector_once_in_order_across_pages_and_a_resave_comes_again()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, Enumerable.Range(0, 7).Select(i => Item($"k{i}", $"text {i}")).ToList(), Now);
        foreach (var pending in await Vectors.LeasePendingAsync(10, Lease, Now))
        {
            await Vectors.SaveAsync([VectorFor(pending)], Now, dequeue: true);
        }

        var pages = await ReadAllVectorsAsync(0, page: 3);
        Assert.Equal(7, pages.Count);
        Assert.Equal(7, pages.Select(v => v.MemoryId).Distinct().Count());
        Assert.Equal(pages.Select(v => v.Sequence).Order(), pages.Select(v => v.Sequence));
        Assert.Equal(pages.Count, pages.Select(v => v.Sequence).Distinct().Count());
        var last = pages[^1].Sequence;
        Assert.Empty(await Vectors.ReadVectorsAsync(last, 10));

        // The first memory is rewritten and embedded again: a reader that remembers the last sequence gets it once more.
        await Memories.UpsertAsync(tenant, Ns, [Item(pages[0].Key, "text rewritten")], Now.AddMinutes(1));
        var again = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now.AddMinutes(1)));
        await Vectors.SaveAsync([VectorFor(again, seed: 99)], Now.AddMinutes(1), dequeue: true);

        var resaved = Assert.Single(await Vectors.ReadVectorsAsync(last, 10));
        Assert.Equal(pages[0].MemoryId, resaved.MemoryId);
        Assert.True(resaved.Sequence > last);
        Assert.Equal(UnitVector(99, 8), resaved.Vector);
        Assert.Equal(7, (await ReadAllVectorsAsync(0, page: 100)).Count);

        // The newest vector replaced again still moves past the last sequence given (no number is ever reused).
        await Memories.UpsertAsync(tenant, Ns, [Item(pages[0].Key, "text rewritten twice")], Now.AddMinutes(2));
        await Vectors.SaveAsync([VectorFor(Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now.AddMinutes(2))), seed: 100)], Now.AddMinutes(2), dequeue: true);
        Assert.Equal(UnitVector(100, 8), Assert.Single(await Vectors.ReadVectorsAsync(resaved.Sequence, 10)).Vector);
    }

    [Fact]
    public async Task A_reader_paging_by_last_sequence_misses_no_vector_while_several_writers_save()
    {
        const int Count = 240;
        const int Writers = 4;
        var tenant = NewTenant();
        for (var i = 0; i < Count; i += 60)
        {
            await Memories.UpsertAsync(tenant, Ns, Enumerable.Range(i, 60).Select(n => Item($"k{n}", $"text {n}")).ToList(), Now);
        }

        var pending = await Vectors.LeasePendingAsync(Count, Lease, Now);
        Assert.Equal(Count, pending.Count);

        var seen = new Dictionary<long, long>();
        var last = 0L;
        async Task<int> ReadNewAsync()
        {
            var page = await Vectors.ReadVectorsAsync(last, 16);
            foreach (var vector in page)
            {
                Assert.True(vector.Sequence > last);
                Assert.True(seen.TryAdd(vector.MemoryId, vector.Sequence), $"memory {vector.MemoryId} came twice");
                last = vector.Sequence;
            }

            return page.Count;
        }

        using var start = new SemaphoreSlim(0, Writers);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await start.WaitAsync();
            foreach (var chunk in pending.Where((_, i) => i % Writers == w).Chunk(3))
            {
                await Vectors.SaveAsync(chunk.Select(p => VectorFor(p)).ToList(), Now, dequeue: true);
            }
        })).ToList();
        start.Release(Writers);

        var all = Task.WhenAll(writers);
        while (!all.IsCompleted)
        {
            await ReadNewAsync();
        }

        // Then the reader catches up, a page at a time, until a read brings nothing new. (Reading a fixed two pages here
        // failed under load: the writers can finish far ahead of a reader that a busy machine holds back.)
        await all;
        while (await ReadNewAsync() > 0)
        {
        }

        // Every vector was seen by the reader that only ever asked for what came after the last sequence it saw.
        Assert.Equal(pending.Select(p => p.MemoryId).Order(), seen.Keys.Order());
        Assert.Equal(0, await Vectors.CountPendingAsync());
    }

    [Fact]
    public async Task Reading_memories_by_key_keeps_to_the_tenant_namespace_and_every_wanted_tag()
    {
        var (tenant, other) = (NewTenant(), NewTenant());
        await Memories.UpsertAsync(tenant, Ns, [
            Item("both", "tagged both", tags: ["user", "turn:1"]),
            Item("one", "tagged one", tags: ["user"]),
            Item("none", "untagged", links: [new MemoryLink("answers", "one", 0.5)])], Now);
        await Memories.UpsertAsync(tenant, "session:2", [Item("elsewhere", "other namespace")], Now);
        await Memories.UpsertAsync(other, Ns, [Item("both", "other tenant", tags: ["user", "turn:1"])], Now);
        Assert.True(await Memories.LinkAsync(tenant, new LinkRequest("both", "one", "follows", 0.25)));
        string[] keys = ["none", "both", "one", "elsewhere", "missing"];

        var all = await Vectors.ReadMemoriesAsync(tenant, Ns, keys, null);
        Assert.Equal(["none", "both", "one"], all.Select(m => m.Key));
        var both = all[1];
        Assert.Equal("tagged both", both.Value.GetProperty("text").GetString());
        Assert.Equal(Now, both.UpdatedAt);
        Assert.Equal([new MemoryLink("follows", "one", 0.25)], both.Links);
        Assert.Equal([new MemoryLink("answers", "one", 0.5)], all[0].Links);
        Assert.Empty(all[2].Links);

        Assert.Equal(["both", "one"], (await Vectors.ReadMemoriesAsync(tenant, Ns, keys, ["user"])).Select(m => m.Key));
        Assert.Equal(["both"], (await Vectors.ReadMemoriesAsync(tenant, Ns, keys, ["user", "turn:1"])).Select(m => m.Key));
        Assert.Empty(await Vectors.ReadMemoriesAsync(tenant, Ns, keys, ["absent"]));
        Assert.Equal(["elsewhere"], (await Vectors.ReadMemoriesAsync(tenant, "session:2", keys, null)).Select(m => m.Key));
        Assert.Equal("other tenant", Assert.Single(await Vectors.ReadMemoriesAsync(other, Ns, keys, null)).Value.GetProperty("text").GetString());
        Assert.Empty(await Vectors.ReadMemoriesAsync(NewTenant(), Ns, keys, null));
    }

    [Fact]
    public async Task A_walk_of_memories_without_a_vector_visits_each_once_and_a_walk_started_again_skips_what_is_done()
    {
        var (a, b) = (NewTenant(), NewTenant());
        await Memories.UpsertAsync(a, Ns, Enumerable.Range(0, 6).Select(i => Item($"a{i}", $"a text {i}")).ToList(), Now);
        await Memories.UpsertAsync(b, Ns, Enumerable.Range(0, 4).Select(i => Item($"b{i}", $"b text {i}")).ToList(), Now);
        var done = (await Vectors.LeasePendingAsync(10, Lease, Now)).Where(p => p.Key is "a0" or "a3" or "b1").ToList();
        await Vectors.SaveAsync(done.Select(p => VectorFor(p)).ToList(), Now, dequeue: true);

        var walked = await WalkAsync(Model, null, page: 3);
        Assert.Equal(7, walked.Count);
        Assert.Equal(walked.Select(p => p.MemoryId).Order(), walked.Select(p => p.MemoryId));
        Assert.Equal(7, walked.Select(p => p.MemoryId).Distinct().Count());
        Assert.DoesNotContain(walked, p => done.Any(d => d.MemoryId == p.MemoryId));
        Assert.Equal("a text 1", Assert.Single(walked, p => p.Key == "a1").Text);

        Assert.Equal(["a1", "a2", "a4", "a5"], (await WalkAsync(Model, a, page: 2)).Select(p => p.Key));

        // Half the walk is saved, then a new walk starts from the beginning: only the rest is left.
        await Vectors.SaveAsync(walked.Take(4).Select(p => VectorFor(p)).ToList(), Now, dequeue: true);
        Assert.Equal(walked.Skip(4).Select(p => p.MemoryId), (await WalkAsync(Model, null, page: 2)).Select(p => p.MemoryId));

        // Another model has none of them.
        Assert.Equal(10, (await WalkAsync("arctic-xs", null, page: 4)).Count);
    }

    [Fact]
    public async Task Vectors_come_back_bit_for_bit()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("real", "a real sized vector"), Item("odd", "odd values")], Now);
        var leased = await Vectors.LeasePendingAsync(10, Lease, Now);
        var real = UnitVector(7, 384);
        float[] odd = [-0.0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity,
            BitConverter.Int32BitsToSingle(0x7fc00001), 1e-40f, 0.1f];
        await Vectors.SaveAsync([
            new MemoryVector(leased.Single(p => p.Key == "real").MemoryId, leased.Single(p => p.Key == "real").Version, Model, real),
            new MemoryVector(leased.Single(p => p.Key == "odd").MemoryId, leased.Single(p => p.Key == "odd").Version, Model, odd)], Now, dequeue: true);

        var stored = await Vectors.ReadVectorsAsync(0, 10);

        Assert.Equal(Bits(real), Bits(stored.Single(v => v.Key == "real").Vector));
        Assert.Equal(Bits(odd), Bits(stored.Single(v => v.Key == "odd").Vector));
    }

    [Fact]
    public async Task A_vector_of_a_memory_that_does_not_exist_is_dropped()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "text")], Now);
        var leased = Assert.Single(await Vectors.LeasePendingAsync(10, Lease, Now));

        await Vectors.SaveAsync([new MemoryVector(leased.MemoryId + 1000, 1, Model, UnitVector(1, 8)), VectorFor(leased)], Now, dequeue: true);

        Assert.Equal(leased.MemoryId, Assert.Single(await Vectors.ReadVectorsAsync(0, 10)).MemoryId);
        Assert.Equal(0, await Vectors.CountPendingAsync());
    }

    [Fact]
    public async Task An_empty_vector_or_one_without_a_model_is_refused_naming_the_memory()
    {
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => Vectors.SaveAsync([new MemoryVector(42, 1, Model, [])], Now, dequeue: true));
        Assert.Contains("42", empty.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => Vectors.SaveAsync([new MemoryVector(42, 1, "", [1f])], Now, dequeue: true));
    }

    private async Task EmbedAllAsync(DateTimeOffset now)
    {
        var leased = await Vectors.LeasePendingAsync(1000, Lease, now);
        await Vectors.SaveAsync(leased.Select(p => VectorFor(p)).ToList(), now, dequeue: true);
    }

    private async Task<List<StoredVector>> ReadAllVectorsAsync(long after, int page)
    {
        var all = new List<StoredVector>();
        while (await Vectors.ReadVectorsAsync(after, page) is { Count: > 0 } next)
        {
            Assert.True(next.Count <= page);
            all.AddRange(next);
            after = next[^1].Sequence;
        }

        return all;
    }

    private async Task<List<PendingEmbedding>> WalkAsync(string model, string? tenant, int page)
    {
        var all = new List<PendingEmbedding>();
        var after = 0L;
        while (await Vectors.ReadMissingAsync(model, tenant, after, page) is { Count: > 0 } next)
        {
            Assert.True(next.Count <= page);
            all.AddRange(next);
            after = next[^1].MemoryId;
        }

        return all;
    }

    private static MemoryVector VectorFor(PendingEmbedding pending, int seed = 1, string model = Model) =>
        new(pending.MemoryId, pending.Version, model, UnitVector(seed, 8));

    private static float[] UnitVector(int seed, int dims)
    {
        var random = new Random(seed);
        var vector = Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        return vector.Select(x => x / norm).ToArray();
    }

    private static int[] Bits(float[] vector) => vector.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static string NewTenant() => $"t-{Guid.NewGuid():N}"[..20];

    private static RememberItem Item(string key, string text, IReadOnlyList<string>? tags = null, IReadOnlyList<MemoryLink>? links = null)
    {
        using var value = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text }));
        return new RememberItem(key, value.RootElement.Clone(), tags, links);
    }
}
