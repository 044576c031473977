using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Cache;

namespace Soma.Memory.Tests.Cache;

/// <summary>What every <see cref="IRecallCache"/> adapter must do; each adapter's suite inherits it.</summary>
public abstract class RecallCacheComplianceTests : IAsyncLifetime
{
    private IRecallCache? _cache;

    protected IRecallCache Cache => _cache ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>A tenant of this test only, so suites sharing a server never meet.</summary>
    protected string Tenant { get; } = $"t-{Guid.NewGuid():N}";

    public virtual async ValueTask InitializeAsync() => _cache = await CreateCacheAsync(new RecallCacheOptions());

    public virtual async ValueTask DisposeAsync()
    {
        switch (_cache)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    protected abstract Task<IRecallCache> CreateCacheAsync(RecallCacheOptions options);

    protected RecallRequest Request(
        string query = "what did I say about tea", string ns = "session:1", int topK = 10, IReadOnlyList<string>? tags = null, double? minScore = null, string? mode = null) =>
        new(query, Tenant, ns, topK, tags, minScore) { Mode = mode };

    protected static RecallResponse Answer(string text = "green tea")
    {
        using var value = JsonDocument.Parse($$"""{"text":"{{text}}","n":1.5}""");
        return new RecallResponse(
            [
                new RecallResult("k1", 0.75, value.RootElement.Clone(), [new MemoryLink("answers", "k0", 0.5)]) { Match = RecallModes.Both },
                new RecallResult("k2", 0.25, value.RootElement.Clone(), []) { Match = RecallModes.Meaning },
            ],
            TotalResults: 7,
            Degraded: false);
    }

    protected static void AssertSameAnswer(RecallResponse expected, RecallResponse? actual)
    {
        Assert.NotNull(actual);
        Assert.True(actual.Cached);
        Assert.Equal(expected.TotalResults, actual.TotalResults);
        Assert.Equal(expected.Degraded, actual.Degraded);
        Assert.Equal(expected.Results.Count, actual.Results.Count);
        for (var i = 0; i < expected.Results.Count; i++)
        {
            var (e, a) = (expected.Results[i], actual.Results[i]);
            Assert.Equal(e.Key, a.Key);
            Assert.Equal(e.Score, a.Score);
            Assert.Equal(e.Value.GetRawText(), a.Value.GetRawText());
            Assert.Equal(e.Links, a.Links);
            Assert.Equal(e.Match, a.Match);
        }
    }

    [Fact]
    public async Task A_miss_then_a_hit_with_the_same_content_marked_cached()
    {
        var answer = Answer();
        Assert.Null(await Cache.GetAsync(Request()));
        await Cache.SetAsync(Request(), answer);
        AssertSameAnswer(answer, await Cache.GetAsync(Request()));
    }

    [Fact]
    public async Task Any_parameter_that_changes_the_answer_changes_the_key()
    {
        await Cache.SetAsync(Request(tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Hybrid), Answer());
        Assert.NotNull(await Cache.GetAsync(Request(tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Hybrid)));

        RecallRequest[] others =
        [
            Request(tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Hybrid) with { Tenant = Tenant + "-other" },
            Request(ns: "session:2", tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Hybrid),
            Request(query: "what did I say about coffee", tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Hybrid),
            Request(topK: 11, tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Hybrid),
            Request(tags: ["a"], minScore: 0.5, mode: RecallModes.Hybrid),
            Request(tags: ["a", "b", "c"], minScore: 0.5, mode: RecallModes.Hybrid),
            Request(tags: null, minScore: 0.5, mode: RecallModes.Hybrid),
            Request(tags: ["a", "b"], minScore: 0.6, mode: RecallModes.Hybrid),
            Request(tags: ["a", "b"], minScore: null, mode: RecallModes.Hybrid),

            // Words only and meaning only rank differently; no mode gets the answer without `match` (SomaBrain's shape).
            Request(tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Text),
            Request(tags: ["a", "b"], minScore: 0.5, mode: RecallModes.Vector),
            Request(tags: ["a", "b"], minScore: 0.5, mode: null),
        ];
        foreach (var other in others)
        {
            Assert.Null(await Cache.GetAsync(other));
        }
    }

    [Fact]
    public async Task Each_recall_mode_is_answered_with_its_own_cached_answer_and_why_each_matched()
    {
        var hybrid = Answer("by words and meaning");
        var text = Answer("by words only");
        await Cache.SetAsync(Request(mode: RecallModes.Hybrid), hybrid);
        await Cache.SetAsync(Request(mode: RecallModes.Text), text);

        AssertSameAnswer(hybrid, await Cache.GetAsync(Request(mode: RecallModes.Hybrid)));
        AssertSameAnswer(text, await Cache.GetAsync(Request(mode: RecallModes.Text)));
        var cached = await Cache.GetAsync(Request(mode: RecallModes.Hybrid));
        Assert.Equal([RecallModes.Both, RecallModes.Meaning], cached!.Results.Select(r => r.Match));
        Assert.Null(await Cache.GetAsync(Request(mode: RecallModes.Vector)));
    }

    [Fact]
    public async Task The_order_of_tags_does_not_matter()
    {
        var answer = Answer();
        await Cache.SetAsync(Request(tags: ["b", "a", "c"]), answer);
        AssertSameAnswer(answer, await Cache.GetAsync(Request(tags: ["c", "b", "a"])));
    }

    [Fact]
    public async Task Invalidating_a_namespace_misses_there_and_still_hits_elsewhere()
    {
        await Cache.SetAsync(Request(ns: "session:1"), Answer());
        await Cache.SetAsync(Request(ns: "session:2"), Answer());
        await Cache.SetAsync(Request(ns: "session:2", query: "another"), Answer());

        await Cache.InvalidateAsync(Tenant, "session:2");

        Assert.NotNull(await Cache.GetAsync(Request(ns: "session:1")));
        Assert.Null(await Cache.GetAsync(Request(ns: "session:2")));
        Assert.Null(await Cache.GetAsync(Request(ns: "session:2", query: "another")));

        // The namespace caches again under its new generation.
        await Cache.SetAsync(Request(ns: "session:2"), Answer());
        Assert.NotNull(await Cache.GetAsync(Request(ns: "session:2")));
    }

    [Fact]
    public async Task An_answer_fetched_before_an_invalidate_is_not_served_after_it()
    {
        // Recall races a write: the miss happens, the write invalidates, then the pre-write answer is stored.
        var request = Request();
        Assert.Null(await Cache.GetAsync(request));
        await Cache.InvalidateAsync(Tenant, request.Namespace);
        await Cache.SetAsync(request, Answer("before the write"));

        Assert.Null(await Cache.GetAsync(Request()));
    }

    [Fact]
    public async Task Tenant_and_namespace_pairs_that_look_alike_never_collide()
    {
        (string Tenant, string Namespace)[] pairs =
        [
            (Tenant + ":a", "b"),
            (Tenant, "a:b"),
            (Tenant + "%3Aa", "b"),
            (Tenant, "a%3Ab"),
            (Tenant + ":a:b", ""),
            (Tenant + ":gen", "x"),
        ];
        for (var i = 0; i < pairs.Length; i++)
        {
            await Cache.SetAsync(new RecallRequest("q", pairs[i].Tenant, pairs[i].Namespace), Answer($"answer {i}"));
        }

        for (var i = 0; i < pairs.Length; i++)
        {
            var hit = await Cache.GetAsync(new RecallRequest("q", pairs[i].Tenant, pairs[i].Namespace));
            Assert.NotNull(hit);
            Assert.Equal($"answer {i}", hit.Results[0].Value.GetProperty("text").GetString());
        }

        await Cache.InvalidateAsync(Tenant + ":a", "b");
        Assert.Null(await Cache.GetAsync(new RecallRequest("q", Tenant + ":a", "b")));
        for (var i = 1; i < pairs.Length; i++)
        {
            Assert.NotNull(await Cache.GetAsync(new RecallRequest("q", pairs[i].Tenant, pairs[i].Namespace)));
        }
    }

    [Fact]
    public async Task Cached_answers_are_copies_that_keep_their_values()
    {
        var request = Request();
        await Cache.SetAsync(request, Answer());
        var first = await Cache.GetAsync(request);
        var second = await Cache.GetAsync(request);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal("green tea", second.Results[0].Value.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_cancelled_get_throws_rather_than_answering_a_miss()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Cache.GetAsync(Request(), cancelled.Token));
    }
}
