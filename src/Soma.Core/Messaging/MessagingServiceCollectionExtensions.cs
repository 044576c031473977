using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Contracts.Schemas;
using Soma.Core.Configuration;
using Soma.Core.Messaging;
using Soma.Core.Outbox;
using Soma.Core.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the outbox's delivery side: the generic relay, the event bus (in-process unless an adapter was added), the event relay and the pruner.</summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="OutboxRelay"/>, <see cref="AuditTrail"/>, the outbox and bus options, the in-process
    /// <see cref="IEventBus"/> unless another was registered (add <c>AddNatsEventBus</c> first), and
    /// <see cref="EventPublishSink"/>. The loops come with <see cref="AddSomaEventRelay"/>.
    /// </summary>
    public static IServiceCollection AddSomaMessaging(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<BusOptions>(BusOptions.SectionName);
        services.BindAndValidate<EventRelayOptions>(EventRelayOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(SchemaRegistry.Default);
        services.TryAddSingleton(sp => new InProcessEventBus(
            sp.GetRequiredService<TimeProvider>(), new InProcessEventBusOptions { MaxMessages = sp.GetRequiredService<IOptions<BusOptions>>().Value.InProcessMaxMessages }));
        if (!services.Any(d => d.ServiceType == typeof(IEventBus)))
        {
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<InProcessEventBus>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<Soma.Core.Health.IHealthReporter, InProcessEventBus>(sp => sp.GetRequiredService<InProcessEventBus>()));
        }

        services.TryAddSingleton<Soma.Core.Signals.IWakeBus, Soma.Core.Signals.InProcessWakeBus>();
        services.AddSomaOutboxRelay();
        services.TryAddSingleton<EventPublishSink>();
        return services;
    }

    /// <summary>Adds the generic <see cref="OutboxRelay"/> and the <see cref="AuditTrail"/> its sinks audit with (every relay loop's needs).</summary>
    public static IServiceCollection AddSomaOutboxRelay(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxRelay>();
        services.TryAddSingleton<AuditTrail>();
        return services;
    }

    /// <summary>Adds the event relay loop and the outbox pruner (the <c>relay</c> role).</summary>
    public static IServiceCollection AddSomaEventRelay(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSomaMessaging();
        services.AddHostedService<EventRelayWorker>();
        services.TryAddSingleton<OutboxPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxPruner>());
        return services;
    }
}
