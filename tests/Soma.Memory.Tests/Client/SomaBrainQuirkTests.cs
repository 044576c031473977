using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Client;
using Soma.Testing;

namespace Soma.Memory.Tests.Client;

/// <summary>The client against SomaBrain's quirks and failure modes, switched on in the stand-in.</summary>
public sealed class SomaBrainQuirkTests : IAsyncLifetime
{
    private SomaBrainStandIn _standIn = null!;
    private readonly List<IDisposable> _owned = [];

    public async ValueTask InitializeAsync() => _standIn = await SomaBrainStandIn.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        await _standIn.DisposeAsync();
    }

    private (SomaBrainHttpBackend Raw, ResilientMemoryBackend Client) Create(Action<MemoryClientOptions>? configure = null)
    {
        var options = new MemoryClientOptions
        {
            BaseUrl = _standIn.BaseAddress,
            ApiKey = _standIn.Token,
            TimeoutSeconds = 5,
            MaxRetries = 3,
            RetryBaseDelayMilliseconds = 10,
            RetryMaxDelaySeconds = 5,
            BreakerMinimumThroughput = 10,
            BreakerBreakSeconds = 1,
        };
        configure?.Invoke(options);
        var raw = SomaBrainHttpBackend.Create(options);
        _owned.Add(raw);
        return (raw, new ResilientMemoryBackend(raw, options));
    }

    private static RememberRequest Remember(string key, string text = "hello there", string tenant = "acme") =>
        new(tenant, "agent", key, JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["text"] = text }));

    [Fact]
    public async Task Every_request_carries_the_bearer_the_tenant_a_fresh_request_id_and_the_current_traceparent()
    {
        var (_, client) = Create();
        using (var activity = new Activity("memory-test").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await client.RememberAsync(Remember("k1"));
            await client.RecallAsync(new RecallRequest("hello", "acme", "agent"));
            await client.LinkAsync("acme", new LinkRequest("k1", "k0", "answers"));

            var requests = _standIn.Requests.Where(r => r.Path != "/health").ToList();
            Assert.Equal(3, requests.Count);
            Assert.All(requests, r =>
            {
                Assert.Equal($"Bearer {_standIn.Token}", r.Header("Authorization"));
                Assert.Equal("acme", r.Header("X-Tenant-ID"));
                Assert.Equal(activity.Id, r.Header("traceparent"));
                Assert.False(string.IsNullOrEmpty(r.Header("X-Request-ID")));
            });
            Assert.Equal(3, requests.Select(r => r.Header("X-Request-ID")).Distinct().Count());
        }

        await client.RememberAsync(Remember("k2"));
        Assert.Null(_standIn.RequestsTo("/memory/remember")[^1].Header("traceparent"));
    }

    [Fact]
    public async Task A_caller_supplied_default_http_client_sends_one_traceparent()
    {
        using var http = new HttpClient { BaseAddress = _standIn.BaseAddress };
        var raw = new SomaBrainHttpBackend(http, _ => ValueTask.FromResult<string?>(_standIn.Token));
        using var activity = new Activity("memory-test").SetIdFormat(ActivityIdFormat.W3C).Start();

        await raw.RecallAsync(new RecallRequest("hello", "acme", "agent"));

        var header = _standIn.RequestsTo("/memory/recall").Single().Header("traceparent");
        Assert.NotNull(header);
        Assert.DoesNotContain(",", header, StringComparison.Ordinal);
        Assert.Contains(activity.TraceId.ToHexString(), header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_body_is_snake_case_json_with_the_tenant_of_the_header()
    {
        var (_, client) = Create();

        await client.RecallAsync(new RecallRequest("hello", "acme", "agent", TopK: 3, MinScore: 0.2));

        var body = _standIn.RequestsTo("/memory/recall").Single().Json!;
        Assert.Equal(3, body["top_k"]!.GetValue<int>());
        Assert.Equal(0.2, body["min_score"]!.GetValue<double>());
        Assert.Equal("acme", body["tenant"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_422_is_not_transient_and_is_sent_exactly_once()
    {
        var (_, client) = Create();
        _standIn.FailNext(1, 422, detail: "value: field required");

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => client.RememberAsync(Remember("k1")));

        Assert.False(error.Transient);
        Assert.Equal(422, error.Status);
        Assert.Contains("value: field required", error.Message, StringComparison.Ordinal);
        Assert.Single(_standIn.RequestsTo("/memory/remember"));
        Assert.Equal(MemoryBreakerState.Closed, client.BreakerState);
    }

    [Fact]
    public async Task A_500_is_retried_and_the_call_succeeds()
    {
        var (_, client) = Create();
        var outcomes = new List<MemoryCallOutcome>();
        client.AttemptCompleted += outcomes.Add;
        _standIn.FailNext(2, 500);

        var answer = await client.RememberAsync(Remember("k1"));

        Assert.True(answer.Ok);
        Assert.Equal(3, _standIn.RequestsTo("/memory/remember").Count);
        Assert.Equal([false, false, true], outcomes.Select(o => o.Succeeded));
        Assert.Equal([0, 1, 2], outcomes.Select(o => o.Attempt));
        Assert.Single(_standIn.Memories);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried_no_sooner_than_the_service_asked()
    {
        var (_, client) = Create();
        _standIn.FailNext(1, 429, retryAfter: "1");

        await client.RememberAsync(Remember("k1"));

        var attempts = _standIn.RequestsTo("/memory/remember");
        Assert.Equal(2, attempts.Count);
        // Both timestamps come from the stand-in's clock; a few milliseconds cover timer granularity.
        Assert.True(attempts[1].ReceivedAt - attempts[0].ReceivedAt >= TimeSpan.FromMilliseconds(990),
            $"retried after {(attempts[1].ReceivedAt - attempts[0].ReceivedAt).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_longest_retry_delay_ends_the_call_with_the_wait()
    {
        var (_, client) = Create();
        _standIn.FailNext(1, 429, retryAfter: "120");

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => client.RememberAsync(Remember("k1")));

        Assert.True(error.Transient);
        Assert.Equal(429, error.Status);
        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Single(_standIn.RequestsTo("/memory/remember"));
    }

    [Fact]
    public async Task A_retry_after_given_as_an_http_date_becomes_a_wait()
    {
        var (raw, _) = Create();
        var at = TimeProvider.System.GetUtcNow().AddSeconds(30);
        _standIn.FailNext(1, 503, retryAfter: at.ToString("R", CultureInfo.InvariantCulture));

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => raw.RememberAsync(Remember("k1")));

        Assert.True(error.Transient);
        Assert.Equal(503, error.Status);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(31));
    }

    [Fact]
    public async Task A_cut_connection_is_transient()
    {
        var (raw, _) = Create();
        _standIn.CutNext();

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => raw.RememberAsync(Remember("k1")));

        Assert.True(error.Transient);
    }

    [Fact]
    public async Task A_malformed_body_is_transient()
    {
        var (raw, _) = Create();
        _standIn.MalformedNext();

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => raw.RecallAsync(new RecallRequest("q", "acme", "agent")));

        Assert.True(error.Transient);
        Assert.IsType<JsonException>(error.InnerException, exactMatch: false);
    }

    [Fact]
    public async Task A_cut_then_a_malformed_answer_are_retried_through_to_success()
    {
        var (_, client) = Create();
        _standIn.CutNext();
        _standIn.MalformedNext();

        var answer = await client.RememberAsync(Remember("k1"));

        Assert.True(answer.Ok);
        Assert.Equal(3, _standIn.RequestsTo("/memory/remember").Count);
    }

    [Fact]
    public async Task A_slow_answer_times_out_as_transient()
    {
        var (_, client) = Create(o => (o.TimeoutSeconds, o.MaxRetries) = (1, 0));
        _standIn.ResponseDelay = TimeSpan.FromSeconds(4);

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => client.RecallAsync(new RecallRequest("q", "acme", "agent")));

        Assert.True(error.Transient);
        Assert.Contains("no answer within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_unreachable_service_is_transient()
    {
        var (raw, _) = Create();
        await _standIn.StopListeningAsync();

        var error = await Assert.ThrowsAsync<MemoryBackendException>(() => raw.HealthAsync());

        Assert.True(error.Transient);
        Assert.Null(error.Status);
    }

    [Fact]
    public async Task The_breaker_opens_after_repeated_failures_fails_fast_and_closes_once_the_service_recovers()
    {
        var (_, client) = Create(o => (o.MaxRetries, o.BreakerMinimumThroughput, o.BreakerFailureRatio, o.BreakerBreakSeconds) = (0, 3, 0.5, 1));
        var changes = new List<MemoryBreakerState>();
        client.BreakerStateChanged += s => { lock (changes) { changes.Add(s); } };
        _standIn.FailNext(3, 503);
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<MemoryBackendException>(() => client.RememberAsync(Remember("k1")));
        }

        Assert.Equal(MemoryBreakerState.Open, client.BreakerState);
        var seen = _standIn.RequestsTo("/memory/remember").Count;
        var fast = await Assert.ThrowsAsync<MemoryBackendException>(() => client.RememberAsync(Remember("k1")));
        Assert.True(fast.Transient);
        Assert.StartsWith("memory breaker open", fast.Message, StringComparison.Ordinal);
        Assert.NotNull(fast.RetryAfter);
        Assert.Equal(seen, _standIn.RequestsTo("/memory/remember").Count);

        // The service has recovered (no faults left); once the break is over a trial call closes the breaker.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await client.RememberAsync(Remember("k1"), timeout.Token);
                break;
            }
            catch (MemoryBackendException ex) when (ex.Message.StartsWith("memory breaker open", StringComparison.Ordinal))
            {
                await Task.Delay(100, timeout.Token);
            }
        }

        Assert.Equal(MemoryBreakerState.Closed, client.BreakerState);
        lock (changes)
        {
            Assert.Equal([MemoryBreakerState.Open, MemoryBreakerState.HalfOpen, MemoryBreakerState.Closed], changes);
        }
    }

    [Fact]
    public async Task Refusals_do_not_open_the_breaker()
    {
        var (_, client) = Create(o => (o.MaxRetries, o.BreakerMinimumThroughput) = (0, 2));
        _standIn.FailNext(5, 422);
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<MemoryBackendException>(() => client.RememberAsync(Remember("k1")));
        }

        Assert.Equal(MemoryBreakerState.Closed, client.BreakerState);
        Assert.True((await client.RememberAsync(Remember("k1"))).Ok);
    }

    [Fact]
    public async Task Without_a_link_endpoint_the_link_travels_inline_with_the_next_remember_of_its_source()
    {
        var (raw, client) = Create();
        _standIn.LinkMissing = true;

        await client.LinkAsync("acme", new LinkRequest("assistant-1", "user-1", "answers", 0.8));
        await client.LinkAsync("acme", new LinkRequest("assistant-1", "tool-1", "used", 0.5));

        Assert.False(raw.LinkEndpointAvailable);
        Assert.Equal(2, raw.PendingLinkCount);
        Assert.Single(_standIn.RequestsTo("/link")); // Known missing after the first 404: not asked again.

        await client.RememberAsync(Remember("assistant-1", "the answer") with { Links = [new MemoryLink("cites", "doc-1")] });

        var sent = _standIn.RequestsTo("/memory/remember").Single().Json!["links"]!.AsArray();
        Assert.Equal(["cites:doc-1", "answers:user-1", "used:tool-1"], sent.Select(l => $"{l!["rel"]}:{l["target"]}"));
        Assert.Equal(0, raw.PendingLinkCount);
        var stored = Assert.Single(_standIn.Memories);
        Assert.Contains(("answers", "user-1", 0.8), stored.Links);
    }

    [Fact]
    public async Task Without_a_link_endpoint_the_link_travels_with_its_source_in_a_batch()
    {
        var (raw, client) = Create();
        _standIn.LinkMissing = true;
        await client.LinkAsync("acme", new LinkRequest("b2", "b1", "follows"));

        await client.RememberBatchAsync(new RememberBatchRequest("acme", "agent",
            [new RememberItem("b1", JsonSerializer.SerializeToElement(new { text = "one" })), new RememberItem("b2", JsonSerializer.SerializeToElement(new { text = "two" }))]));

        var items = _standIn.RequestsTo("/memory/remember/batch").Single().Json!["items"]!.AsArray();
        Assert.Null(items[0]!["links"]);
        Assert.Equal("b1", items[1]!["links"]![0]!["target"]!.GetValue<string>());
        Assert.Equal(0, raw.PendingLinkCount);
    }

    [Fact]
    public async Task A_pending_link_survives_a_failed_remember_and_goes_with_the_retry()
    {
        var (raw, _) = Create();
        _standIn.LinkMissing = true;
        await raw.LinkAsync("acme", new LinkRequest("a1", "u1", "answers"));
        _standIn.FailNext(1, 503);

        await Assert.ThrowsAsync<MemoryBackendException>(() => raw.RememberAsync(Remember("a1")));
        Assert.Equal(1, raw.PendingLinkCount);
        await raw.RememberAsync(Remember("a1"));

        Assert.All(_standIn.RequestsTo("/memory/remember"), r => Assert.Equal("u1", r.Json!["links"]![0]!["target"]!.GetValue<string>()));
        Assert.Equal(0, raw.PendingLinkCount);
    }

    [Fact]
    public async Task Pending_links_are_kept_per_tenant()
    {
        var (raw, _) = Create();
        _standIn.LinkMissing = true;
        await raw.LinkAsync("acme", new LinkRequest("k", "x", "answers"));

        await raw.RememberAsync(Remember("k", tenant: "globex"));

        Assert.Null(_standIn.RequestsTo("/memory/remember").Single().Json!["links"]);
        Assert.Equal(1, raw.PendingLinkCount);
    }
}
