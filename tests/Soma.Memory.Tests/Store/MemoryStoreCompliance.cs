using System.Text.Json;
using Soma.Core.Memory;

namespace Soma.Memory.Tests.Store;

public sealed class SqliteMemoryStoreCompliance(SqliteMemoryEngine engine) : MemoryStoreCompliance<SqliteMemoryEngine>(engine);

public sealed class PostgresMemoryStoreCompliance(PostgresMemoryEngine engine) : MemoryStoreCompliance<PostgresMemoryEngine>(engine);

/// <summary>The <see cref="IMemoryStore"/> contract every engine keeps (see docs/memory.md).</summary>
public abstract class MemoryStoreCompliance<TEngine>(TEngine engine) : IClassFixture<TEngine>, IAsyncLifetime
    where TEngine : MemoryStoreEngine
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private const string Ns = "agent";

    private MemoryStorePorts _ports = null!;

    private IMemoryStore Memories => _ports.Memories;

    public async ValueTask InitializeAsync() => _ports = await engine.CreateAsync();

    public async ValueTask DisposeAsync() => await _ports.DisposeAsync();

    [Fact]
    public async Task Remembering_the_same_key_again_updates_the_memory_and_reports_deduplicated()
    {
        var tenant = NewTenant();
        var first = await Memories.UpsertAsync(tenant, Ns, [Item("k1", "alpha words")], Now);
        Assert.Equal(new RememberResponse(true, "k1", false), Assert.Single(first));

        var second = await Memories.UpsertAsync(tenant, Ns, [Item("k1", "beta words", tags: ["x"])], Now.AddMinutes(1));
        Assert.Equal(new RememberResponse(true, "k1", true), Assert.Single(second));

        var found = await SearchAsync(tenant, "beta");
        var hit = Assert.Single(found.Results);
        Assert.Equal("k1", hit.Key);
        Assert.Equal("beta words", hit.Value.GetProperty("text").GetString());
        Assert.Empty((await SearchAsync(tenant, "alpha")).Results);
        Assert.Single((await SearchAsync(tenant, "beta", tags: ["x"])).Results);
    }

    [Fact]
    public async Task A_batch_answers_each_item_in_order_and_a_key_repeated_in_the_batch_is_deduplicated()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("old", "existing")], Now);

        var results = await Memories.UpsertAsync(tenant, Ns, [Item("a", "one"), Item("old", "two"), Item("b", "three"), Item("a", "four")], Now);

        Assert.Equal(
            [new("a", false), new("old", true), new("b", false), new("a", true)],
            results.Select(r => (r.Key, r.Deduplicated)).Select(r => new KeyValuePair<string, bool>(r.Key, r.Deduplicated)).ToArray());
        Assert.All(results, r => Assert.True(r.Ok));
        Assert.Equal("four", Assert.Single((await SearchAsync(tenant, "four")).Results).Value.GetProperty("text").GetString());
        Assert.Empty((await SearchAsync(tenant, "one")).Results);
    }

    [Fact]
    public async Task A_batch_of_a_hundred_answers_each_in_order_and_stores_each_searchable_with_its_tags_and_links()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("m7", "stale seven"), Item("m90", "stale ninety", links: [new MemoryLink("rel", "old", 0.1)])], Now);
        var items = Enumerable.Range(0, 100)
            .Select(i => i == 99
                ? Item("m3", "word3 again", tags: ["last"], links: [new MemoryLink("rel", "m2", 0.75)])
                : Item($"m{i}", $"word{i} shared", tags: [$"tag{i % 3}"], links: i % 2 == 1 ? [new MemoryLink("rel", $"m{i - 1}", 0.5)] : null))
            .ToList();

        var results = await Memories.UpsertAsync(tenant, Ns, items, Now);

        Assert.Equal(items.Select(i => i.Key), results.Select(r => r.Key));
        Assert.All(results, r => Assert.True(r.Ok));
        Assert.Equal(["m7", "m90", "m3"], results.Where(r => r.Deduplicated).Select(r => r.Key));
        for (var i = 0; i < 99; i++)
        {
            var hit = Assert.Single((await SearchAsync(tenant, $"word{i}")).Results);
            Assert.Equal($"m{i}", hit.Key);
            MemoryLink[] links = i switch
            {
                3 => [new MemoryLink("rel", "m2", 0.75)],
                90 => [new MemoryLink("rel", "old", 0.1)],
                _ when i % 2 == 1 => [new MemoryLink("rel", $"m{i - 1}", 0.5)],
                _ => [],
            };
            Assert.Equal(links, hit.Links);
        }

        Assert.Equal("word3 again", Assert.Single((await SearchAsync(tenant, "again", tags: ["last"])).Results).Value.GetProperty("text").GetString());
        Assert.Empty((await SearchAsync(tenant, "word3", tags: ["tag0"])).Results);
        Assert.Empty((await SearchAsync(tenant, "stale")).Results);
        Assert.Equal(33, (await SearchAsync(tenant, "shared", tags: ["tag1"])).TotalResults);
    }

    [Fact]
    public async Task A_batch_that_fails_part_way_stores_nothing()
    {
        var tenant = NewTenant();
        var broken = new RememberItem("broken", default);

        await Assert.ThrowsAnyAsync<Exception>(() => Memories.UpsertAsync(tenant, Ns, [Item("first", "atomic words", links: [new("rel", "x")]), broken], Now));

        Assert.Empty((await SearchAsync(tenant, "atomic")).Results);
        Assert.False(await Memories.LinkAsync(tenant, new LinkRequest("first", "x", "rel")));
        Assert.False(Assert.Single(await Memories.UpsertAsync(tenant, Ns, [Item("first", "atomic words")], Now)).Deduplicated);
    }

    [Fact]
    public async Task Another_tenants_memories_never_appear_and_keys_are_per_tenant()
    {
        var (a, b) = (NewTenant(), NewTenant());
        await Memories.UpsertAsync(a, Ns, [Item("k", "shared secret words from a")], Now);
        Assert.False(Assert.Single(await Memories.UpsertAsync(b, Ns, [Item("k", "shared secret words from b")], Now)).Deduplicated);

        var found = await SearchAsync(a, "shared secret words");
        Assert.Equal("shared secret words from a", Assert.Single(found.Results).Value.GetProperty("text").GetString());
        Assert.Equal(1, found.TotalResults);
        Assert.Empty((await SearchAsync(NewTenant(), "shared secret words")).Results);

        // Links are per tenant too: b's key does not make a link from a's tenant valid, and vice versa.
        Assert.False(await Memories.LinkAsync(NewTenant(), new LinkRequest("k", "other", "rel")));
    }

    [Fact]
    public async Task Namespaces_are_isolated_within_a_tenant()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, "session:1", [Item("k", "namespace words one")], Now);
        await Memories.UpsertAsync(tenant, "session:2", [Item("k", "namespace words two")], Now);

        var found = await Memories.SearchAsync(new RecallRequest("namespace", tenant, "session:1"), Now);
        Assert.Equal("namespace words one", Assert.Single(found.Results).Value.GetProperty("text").GetString());
        Assert.Empty((await Memories.SearchAsync(new RecallRequest("namespace", tenant, "session:3"), Now)).Results);
    }

    [Fact]
    public async Task A_more_relevant_memory_ranks_above_a_less_relevant_one()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [
            Item("weak", "apple pie recipe with cinnamon"),
            Item("strong", "apple banana cherry smoothie recipe"),
            Item("none", "nothing relevant here")], Now);

        var found = await SearchAsync(tenant, "apple banana cherry");

        Assert.Equal(["strong", "weak"], found.Results.Select(r => r.Key));
        Assert.True(found.Results[0].Score > found.Results[1].Score);
        Assert.All(found.Results, r => Assert.InRange(r.Score, 0, 1));
    }

    [Fact]
    public async Task Among_equally_relevant_memories_the_newer_wins()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("older", "deploy the release")], Now.AddDays(-3));
        await Memories.UpsertAsync(tenant, Ns, [Item("newer", "deploy the release")], Now.AddDays(-1));

        var found = await SearchAsync(tenant, "release");

        Assert.Equal(["newer", "older"], found.Results.Select(r => r.Key));
        Assert.True(found.Results[0].Score > found.Results[1].Score);

        // Updating the older one makes it the newest.
        await Memories.UpsertAsync(tenant, Ns, [Item("older", "deploy the release")], Now);
        Assert.Equal(["older", "newer"], (await SearchAsync(tenant, "release")).Results.Select(r => r.Key));
    }

    [Fact]
    public async Task A_tags_filter_keeps_memories_carrying_every_given_tag()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [
            Item("both", "tagged words", tags: ["user", "turn:1"]),
            Item("one", "tagged words", tags: ["user"]),
            Item("none", "tagged words")], Now);

        Assert.Equal(["both"], (await SearchAsync(tenant, "tagged", tags: ["user", "turn:1"])).Results.Select(r => r.Key));
        Assert.Equal(["both", "one"], (await SearchAsync(tenant, "tagged", tags: ["user"])).Results.Select(r => r.Key).Order());
        Assert.Equal(3, (await SearchAsync(tenant, "tagged")).TotalResults);
        Assert.Empty((await SearchAsync(tenant, "tagged", tags: ["missing"])).Results);
    }

    [Fact]
    public async Task Min_score_drops_weaker_results_and_total_results_counts_what_passed()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("strong", "red green blue"), Item("weak", "red and many other unrelated words")], Now);
        var all = await SearchAsync(tenant, "red green blue");
        Assert.Equal(2, all.Results.Count);

        var threshold = (all.Results[0].Score + all.Results[1].Score) / 2;
        var filtered = await Memories.SearchAsync(new RecallRequest("red green blue", tenant, Ns, MinScore: threshold), Now);

        Assert.Equal("strong", Assert.Single(filtered.Results).Key);
        Assert.Equal(1, filtered.TotalResults);
        Assert.Empty((await Memories.SearchAsync(new RecallRequest("red green blue", tenant, Ns, MinScore: 1.0), Now)).Results);
    }

    [Fact]
    public async Task Top_k_limits_the_results_and_total_results_counts_every_match()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, Enumerable.Range(0, 7).Select(i => Item($"k{i}", $"common word {i}")).ToList(), Now);

        var found = await Memories.SearchAsync(new RecallRequest("common", tenant, Ns, TopK: 3), Now);

        Assert.Equal(3, found.Results.Count);
        Assert.Equal(7, found.TotalResults);
        Assert.False(found.Degraded);
    }

    [Fact]
    public async Task Terms_are_or_ed_so_a_partial_match_is_found()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "kubernetes cluster upgrade")], Now);

        Assert.Equal("k", Assert.Single((await SearchAsync(tenant, "what about the UPGRADE plan?")).Results).Key);
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("\"unbalanced quote")]
    [InlineData("*")]
    [InlineData("hostile*")]
    [InlineData("NEAR(")]
    [InlineData("NEAR(hostile words, 2)")]
    [InlineData("content:hostile")]
    [InlineData("scope : x")]
    [InlineData(":")]
    [InlineData("-hostile")]
    [InlineData("AND OR NOT")]
    [InlineData("hostile AND OR NOT")]
    [InlineData("'); DROP TABLE memories; --")]
    [InlineData("hostile' OR '1'='1")]
    [InlineData("hostile & | ! <-> :* ()")]
    [InlineData("^hostile {content}")]
    [InlineData("🙂🔥")]
    [InlineData("hostile 🙂")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("...,;")]
    public async Task Hostile_queries_return_normally(string query)
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "hostile words inside")], Now);

        var found = await SearchAsync(tenant, query);

        var expectHit = query.Contains("hostile", StringComparison.Ordinal) || query.Contains("words", StringComparison.Ordinal);
        Assert.Equal(expectHit ? 1 : 0, found.Results.Count);
        Assert.Equal(found.Results.Count, found.TotalResults);
    }

    [Fact]
    public async Task Results_carry_their_outgoing_links()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [
            Item("question", "linked question"),
            Item("answer", "linked answer", links: [new MemoryLink("answers", "question", 0.9)])], Now);
        Assert.True(await Memories.LinkAsync(tenant, new LinkRequest("answer", "tool-output", "used", 0.5)));
        Assert.True(await Memories.LinkAsync(tenant, new LinkRequest("answer", "tool-output", "used", 0.25)));

        var found = await SearchAsync(tenant, "linked");

        var answer = Assert.Single(found.Results, r => r.Key == "answer");
        Assert.Equal([new MemoryLink("answers", "question", 0.9), new MemoryLink("used", "tool-output", 0.25)], answer.Links);
        Assert.Empty(Assert.Single(found.Results, r => r.Key == "question").Links);
    }

    [Fact]
    public async Task Linking_from_an_unknown_key_is_refused_and_a_known_key_in_any_namespace_is_accepted()
    {
        var tenant = NewTenant();
        Assert.False(await Memories.LinkAsync(tenant, new LinkRequest("missing", "x", "rel")));

        await Memories.UpsertAsync(tenant, "session:9", [Item("source", "link source")], Now);
        Assert.True(await Memories.LinkAsync(tenant, new LinkRequest("source", "x", "rel")));
    }

    [Fact]
    public async Task The_searchable_text_is_every_string_value_in_the_json()
    {
        var tenant = NewTenant();
        using var value = JsonDocument.Parse("""{"outer":{"list":["nested needle",5,true,null,{"deep":"deeper haystack"}]},"propertyname":"plain"}""");
        await Memories.UpsertAsync(tenant, Ns, [new RememberItem("k", value.RootElement.Clone(), TraceId: "0af7651916cd43dd8448eb211c80319c")], Now);

        Assert.Single((await SearchAsync(tenant, "needle")).Results);
        Assert.Single((await SearchAsync(tenant, "haystack")).Results);
        Assert.Empty((await SearchAsync(tenant, "propertyname")).Results);
        Assert.Empty((await SearchAsync(tenant, "outer")).Results);

        // The value comes back as it was sent.
        var hit = Assert.Single((await SearchAsync(tenant, "plain")).Results);
        Assert.Equal(value.RootElement.GetRawText(), hit.Value.GetRawText());
    }

    [Fact]
    public async Task A_nul_character_inside_a_string_value_is_stored_and_searchable()
    {
        var tenant = NewTenant();
        using var value = JsonDocument.Parse("""{"text":"before\u0000after"}""");
        await Memories.UpsertAsync(tenant, Ns, [new RememberItem("k", value.RootElement.Clone())], Now);

        var hit = Assert.Single((await SearchAsync(tenant, "after")).Results);
        Assert.Equal(value.RootElement.GetRawText(), hit.Value.GetRawText());
    }

    [Fact]
    public async Task Words_match_across_case_and_diacritics()
    {
        var tenant = NewTenant();
        await Memories.UpsertAsync(tenant, Ns, [Item("k", "Café in Zürich")], Now);

        Assert.Single((await SearchAsync(tenant, "CAFÉ")).Results);
        Assert.Single((await SearchAsync(tenant, "zürich")).Results);
    }

    private Task<RecallResponse> SearchAsync(string tenant, string query, IReadOnlyList<string>? tags = null) =>
        Memories.SearchAsync(new RecallRequest(query, tenant, Ns, Tags: tags), Now);

    private static string NewTenant() => $"t-{Guid.NewGuid():N}"[..20];

    private static RememberItem Item(string key, string text, IReadOnlyList<string>? tags = null, IReadOnlyList<MemoryLink>? links = null)
    {
        using var value = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text }));
        return new RememberItem(key, value.RootElement.Clone(), tags, links);
    }
}
