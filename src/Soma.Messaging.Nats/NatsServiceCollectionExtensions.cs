using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Messaging;
using Soma.Messaging.Nats;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the NATS JetStream event bus.</summary>
public static class NatsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the NATS JetStream bus (options bound and validated from <c>Soma:Bus:Nats</c>) as the <see cref="IEventBus"/> and
    /// an <see cref="IHealthReporter"/> (component <c>bus</c>), wake-ups across processes (<see cref="Soma.Core.Signals.IWakeBus"/>
    /// on <c>soma._wake.*</c>), and the process's one <see cref="INatsConnection"/> for the
    /// other NATS users of the process (live answer deltas).
    /// </summary>
    public static OptionsBuilder<NatsBusOptions> AddNatsEventBus(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.BindAndValidate<NatsBusOptions>(NatsBusOptions.SectionName);
        services.TryAddSingleton<INatsConnection>(sp =>
            NatsConnectionFactory.Create(sp.GetRequiredService<IOptions<NatsBusOptions>>().Value, sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton<NatsEventBus>(sp => new NatsEventBus(
            sp.GetRequiredService<INatsConnection>(),
            sp.GetRequiredService<IOptions<NatsBusOptions>>(),
            sp.GetService<ILogger<NatsEventBus>>()));
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<NatsEventBus>());
        services.TryAddSingleton<Soma.Core.Signals.IWakeBus>(sp => new NatsWakeBus(sp.GetRequiredService<INatsConnection>(), sp.GetService<ILogger<NatsWakeBus>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, NatsEventBus>(sp => sp.GetRequiredService<NatsEventBus>()));
        return options;
    }
}
