using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Client;

namespace Soma.Memory.Tests.Client;

/// <summary>
/// The client's protocol compliance suite: what any peer speaking the SomaBrain protocol must answer, seen through
/// <see cref="SomaBrainHttpBackend"/> and <see cref="ResilientMemoryBackend"/>. Each peer (the SomaBrain stand-in, our
/// own memory service) inherits it; tests that need a peer's fault switches live in that peer's own class.
/// </summary>
public abstract class MemoryClientSuite : IAsyncLifetime
{
    private MemoryPeer? _peer;

    protected MemoryPeer Peer => _peer ?? throw new InvalidOperationException("Not started.");

    protected SomaBrainHttpBackend Raw { get; private set; } = null!;

    protected ResilientMemoryBackend Client { get; private set; } = null!;

    protected abstract Task<MemoryPeer> StartPeerAsync();

    protected virtual MemoryClientOptions Options(MemoryPeer peer) => new()
    {
        BaseUrl = peer.BaseAddress,
        ApiKey = peer.Token,
        TimeoutSeconds = 5,
        MaxRetries = 3,
        RetryBaseDelayMilliseconds = 10,
        RetryMaxDelaySeconds = 5,
        BreakerMinimumThroughput = 5,
        BreakerBreakSeconds = 1,
    };

    public async ValueTask InitializeAsync()
    {
        _peer = await StartPeerAsync();
        var options = Options(_peer);
        Raw = SomaBrainHttpBackend.Create(options);
        Client = new ResilientMemoryBackend(Raw, options);
    }

    public async ValueTask DisposeAsync()
    {
        Raw?.Dispose();
        if (_peer is not null)
        {
            await _peer.Owner.DisposeAsync();
        }
    }

    protected static JsonElement Value(string text) => JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["text"] = text });

    protected static string Tenant() => "t-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Remember_then_recall_finds_the_memory_with_a_score_between_zero_and_one()
    {
        var tenant = Tenant();
        var stored = await Client.RememberAsync(new RememberRequest(tenant, "agent", "k1", Value("the heron fishes at dawn"), Tags: ["note"]));
        await Client.RememberAsync(new RememberRequest(tenant, "agent", "k2", Value("invoices are due on friday")));

        var recalled = await Client.RecallAsync(new RecallRequest("heron dawn", tenant, "agent"));

        Assert.True(stored.Ok);
        Assert.Equal("k1", stored.Key);
        Assert.False(stored.Deduplicated);
        var best = Assert.Single(recalled.Results);
        Assert.Equal("k1", best.Key);
        Assert.InRange(best.Score, 0.0, 1.0);
        Assert.True(best.Score > 0);
        Assert.Equal("the heron fishes at dawn", best.Value.GetProperty("text").GetString());
        Assert.Equal(1, recalled.TotalResults);
        Assert.False(recalled.Cached);
    }

    [Fact]
    public async Task Remembering_the_same_key_again_updates_it_and_reports_deduplicated()
    {
        var tenant = Tenant();
        await Client.RememberAsync(new RememberRequest(tenant, "agent", "k1", Value("first draft about otters")));
        var again = await Client.RememberAsync(new RememberRequest(tenant, "agent", "k1", Value("second draft about otters")));

        var recalled = await Client.RecallAsync(new RecallRequest("otters", tenant, "agent"));

        Assert.True(again.Deduplicated);
        var only = Assert.Single(recalled.Results);
        Assert.Equal("second draft about otters", only.Value.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_batch_answers_one_result_per_item_in_order()
    {
        var tenant = Tenant();
        await Client.RememberAsync(new RememberRequest(tenant, "agent", "b2", Value("already here")));

        var answer = await Client.RememberBatchAsync(new RememberBatchRequest(tenant, "agent",
            [new RememberItem("b1", Value("one lantern")), new RememberItem("b2", Value("two lanterns")), new RememberItem("b3", Value("three lanterns"))]));

        Assert.True(answer.Ok);
        Assert.Equal(["b1", "b2", "b3"], answer.Results.Select(r => r.Key));
        Assert.Equal([false, true, false], answer.Results.Select(r => r.Deduplicated));
        var recalled = await Client.RecallAsync(new RecallRequest("lanterns", tenant, "agent", TopK: 2));
        Assert.Equal(2, recalled.Results.Count);
        Assert.True(recalled.TotalResults >= 2);
    }

    [Fact]
    public async Task A_link_comes_back_with_the_recalled_source()
    {
        var tenant = Tenant();
        await Client.RememberAsync(new RememberRequest(tenant, "agent", "user-1", Value("what is the capital of peru")));
        await Client.RememberAsync(new RememberRequest(tenant, "agent", "assistant-1", Value("lima is the capital of peru")));

        await Client.LinkAsync(tenant, new LinkRequest("assistant-1", "user-1", "answers", 0.9));

        var recalled = await Client.RecallAsync(new RecallRequest("lima", tenant, "agent"));

        // Recall by meaning may bring the question too (it is about Lima); the answer is the one found by its word.
        var hit = Assert.Single(recalled.Results, r => r.Key == "assistant-1");
        var link = Assert.Single(hit.Links);
        Assert.Equal(new MemoryLink("answers", "user-1", 0.9), link);
    }

    [Fact]
    public async Task Links_sent_inline_with_a_remember_are_stored()
    {
        var tenant = Tenant();
        await Client.RememberAsync(new RememberRequest(tenant, "agent", "tool-1", Value("weather tool said sunny"), Links: [new MemoryLink("used_by", "assistant-9")]));

        var recalled = await Client.RecallAsync(new RecallRequest("sunny", tenant, "agent"));

        Assert.Equal(new MemoryLink("used_by", "assistant-9", 1.0), Assert.Single(Assert.Single(recalled.Results).Links));
    }

    [Fact]
    public async Task Tenants_and_namespaces_do_not_see_each_other()
    {
        var a = Tenant();
        var b = Tenant();
        await Client.RememberAsync(new RememberRequest(a, "agent", "k", Value("secret walrus plans")));

        Assert.Empty((await Client.RecallAsync(new RecallRequest("walrus", b, "agent"))).Results);
        Assert.Empty((await Client.RecallAsync(new RecallRequest("walrus", a, "other"))).Results);
        Assert.Single((await Client.RecallAsync(new RecallRequest("walrus", a, "agent"))).Results);
    }

    [Fact]
    public async Task Health_answers_healthy()
    {
        var health = await Client.HealthAsync();

        Assert.True(health.Ok);
        Assert.True(health.Ready);
        Assert.Equal("healthy", health.Status);
    }

    [Fact]
    public async Task A_validation_error_is_not_transient_and_carries_the_detail()
    {
        var error = await Assert.ThrowsAsync<MemoryBackendException>(() =>
            Client.RememberAsync(new RememberRequest(Tenant(), "agent", "k", JsonSerializer.SerializeToElement("not an object"))));

        Assert.False(error.Transient);
        Assert.Equal(422, error.Status);
        Assert.Contains("422", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length > "Memory remember: HTTP 422".Length);
    }

    [Fact]
    public async Task Linking_from_an_unknown_key_is_a_refusal_naming_the_key_not_a_missing_endpoint()
    {
        var error = await Assert.ThrowsAsync<MemoryBackendException>(() =>
            Client.LinkAsync(Tenant(), new LinkRequest("nobody-remembers-me", "x", "answers")));

        Assert.False(error.Transient);
        Assert.Equal(404, error.Status);
        Assert.Contains("nobody-remembers-me", error.Message, StringComparison.Ordinal);
        Assert.True(Raw.LinkEndpointAvailable);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_not_retried()
    {
        using var http = new HttpClient(SomaBrainHttpBackend.CreateHandler()) { BaseAddress = Peer.BaseAddress };
        using var wrong = new SomaBrainHttpBackend(http, _ => ValueTask.FromResult<string?>("not-the-token"));

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => wrong.RecallAsync(new RecallRequest("q", Tenant(), "agent")));

        Assert.False(error.Transient);
        Assert.InRange(error.Status ?? 0, 401, 403);
    }
}
