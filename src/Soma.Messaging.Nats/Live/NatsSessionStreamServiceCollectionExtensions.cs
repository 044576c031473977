using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using Soma.Core.Streaming;
using Soma.Messaging.Nats.Live;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the NATS live stream.</summary>
public static class NatsSessionStreamServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="ISessionStream"/> go over core NATS (<c>soma.{tenant}.live.{session}</c>, nothing stored), replacing
    /// any stream registered before (the in-process one), so workers and gateways in different processes share answers
    /// in progress. The <see cref="INatsConnection"/> singleton it uses is registered by the caller.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddNatsSessionStream(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Replace(ServiceDescriptor.Singleton<ISessionStream>(provider => new NatsSessionStream(
            provider.GetRequiredService<INatsConnection>(),
            provider.GetService<ILogger<NatsSessionStream>>() ?? NullLogger<NatsSessionStream>.Instance)));
        return services;
    }
}
