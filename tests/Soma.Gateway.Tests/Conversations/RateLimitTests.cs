using System.Diagnostics;
using System.Net;
using System.Runtime.Versioning;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>Soma:Gateway:RequestsPerSecond and RequestBurst: a token bucket per tenant; over it, 429 with Retry-After. Memory service tokens are not limited.</summary>
[SupportedOSPlatform("linux")]
public sealed class RateLimitTests : IAsyncLifetime
{
    private const int RequestsPerSecond = 1;
    private const int RequestBurst = 2;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["Soma:Gateway:RequestsPerSecond"] = RequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Soma:Gateway:RequestBurst"] = RequestBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_tenant_over_its_rate_gets_429_problems_with_Retry_After_and_no_more_than_burst_plus_rate_succeed()
    {
        using var client = _server.For(ServerFixture.NewTenant());
        var clock = Stopwatch.StartNew();
        var succeeded = 0;
        HttpResponseMessage? refused = null;

        // Ask as fast as possible for a while: the bucket holds RequestBurst and refills RequestsPerSecond, so however
        // slow or fast this machine is, no more than burst + rate × elapsed (rounded up, one tick of slack) succeed.
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5) || refused is null)
        {
            var response = await client.GetAsync("/v1/sessions");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused ??= response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                succeeded++;
            }

            Assert.True(clock.Elapsed < Conversation.Patience, "no request was ever refused");
        }

        var allowed = RequestBurst + (int)Math.Ceiling(clock.Elapsed.TotalSeconds * RequestsPerSecond) + 1;
        Assert.True(succeeded <= allowed, $"{succeeded} requests succeeded in {clock.Elapsed.TotalSeconds:0.00} s; at most {allowed} may at {RequestsPerSecond}/s with bursts of {RequestBurst}");

        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.Contains("Soma:Gateway:RequestsPerSecond", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter >= TimeSpan.FromSeconds(1), $"Retry-After: {retryAfter}");

        // Another tenant has its own bucket.
        using var other = _server.For(ServerFixture.NewTenant());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/sessions")).StatusCode);
    }

    [Fact]
    public async Task A_memory_service_token_is_not_held_to_a_users_rate()
    {
        // Another process's sync worker delivering its outbox after an outage: it paces itself, a user's rate would
        // cap its drain (and each 429 would turn its client degraded).
        using var client = _server.For(ServerFixture.NewTenant(), "sync", "memory");
        for (var i = 0; i < RequestBurst + (4 * RequestsPerSecond); i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/sessions")).StatusCode);
        }
    }
}
