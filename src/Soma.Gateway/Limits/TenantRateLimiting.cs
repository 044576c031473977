using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Limits;

/// <summary>
/// A token bucket per tenant over every authenticated request (<see cref="GatewayOptions.RequestsPerSecond"/>,
/// <see cref="GatewayOptions.RequestBurst"/>). Over it: 429 problem+json with <c>Retry-After</c>. Memory service tokens
/// (role <c>memory</c>) are not limited.
/// </summary>
internal static class TenantRateLimiting
{
    private const string MemoryServiceRole = "memory";

    public static void Configure(RateLimiterOptions options, IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<GatewayOptions>>().Value;

        // Tokens come back up to ten times a second, so a short burst does not wait a whole second. The ticks per second
        // divide the rate, so the refill is exactly the configured rate: 1/s gives 1 token every second, 15/s 3 every
        // 200 ms, 100/s 10 every 100 ms.
        var ticksPerSecond = GreatestCommonDivisor(settings.RequestsPerSecond, 10);
        var perTick = settings.RequestsPerSecond / ticksPerSecond;
        var tick = TimeSpan.FromMilliseconds(1000 / ticksPerSecond);
        // A memory service token (role memory) is another SomaAgent process's sync worker delivering its outbox, not a
        // user: it paces itself (one pass at a time, batches, backoff honouring Retry-After), and capping it at a user's
        // request rate would cap the drain after an outage at that many calls per second, each 429 also turning its
        // client degraded (smaller batches) for the breaker's sampling window.
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            context.User.Identity?.IsAuthenticated == true && context.User.FindFirst(SomaClaims.Tenant)?.Value is { Length: > 0 } tenant
                && !context.User.HasClaim(SomaClaims.Roles, MemoryServiceRole)
                ? RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.RequestBurst,
                    TokensPerPeriod = perTick,
                    ReplenishmentPeriod = tick,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter(string.Empty));
        options.OnRejected = (context, _) =>
        {
            var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
            var httpContext = context.HttpContext;
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);

            // Through the problem details service, like every other error, so the answer has its instance and trace_id.
            return new ValueTask(ProblemDetailsSetup.WriteStatusAsync(
                httpContext,
                StatusCodes.Status429TooManyRequests,
                ProblemTypes.TooManyRequests,
                "Too many requests",
                $"This tenant is over its request rate ({settings.RequestsPerSecond}/s, bursts of {settings.RequestBurst}; Soma:Gateway:RequestsPerSecond and RequestBurst). Retry after {seconds} s."));
        };
    }

    private static int GreatestCommonDivisor(int a, int b) => b == 0 ? a : GreatestCommonDivisor(b, a % b);
}
