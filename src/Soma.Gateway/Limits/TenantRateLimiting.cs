using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Limits;

/// <summary>
/// A token bucket per tenant over every authenticated request (<see cref="GatewayOptions.RequestsPerSecond"/>,
/// <see cref="GatewayOptions.RequestBurst"/>). Over it: 429 problem+json with <c>Retry-After</c>.
/// </summary>
internal static class TenantRateLimiting
{
    public static void Configure(RateLimiterOptions options, IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<GatewayOptions>>().Value;

        // Tokens come back ten times a second, so a short burst does not wait a whole second.
        var perTick = Math.Max(1, settings.RequestsPerSecond / 10);
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            context.User.Identity?.IsAuthenticated == true && context.User.FindFirst(SomaClaims.Tenant)?.Value is { Length: > 0 } tenant
                ? RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.RequestBurst,
                    TokensPerPeriod = perTick,
                    ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter(string.Empty));
        options.OnRejected = async (context, cancellationToken) =>
        {
            var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
            var response = context.HttpContext.Response;
            response.StatusCode = StatusCodes.Status429TooManyRequests;
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await response.WriteAsJsonAsync(
                new ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Type = ProblemTypes.TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"This tenant is over its request rate ({settings.RequestsPerSecond}/s, bursts of {settings.RequestBurst}; Soma:Gateway:RequestsPerSecond and RequestBurst). Retry after {seconds} s.",
                },
                options: null,
                contentType: "application/problem+json",
                cancellationToken: cancellationToken);
        };
    }
}
