using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Storage.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL adapters of every store port.</summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Adds the PostgreSQL store (options bound and validated from <c>Soma:Store:Postgres</c>) as the
    /// <see cref="IStore"/>, <see cref="ISessionStore"/>, <see cref="IOutbox"/>, <see cref="IAuditLog"/>, <see cref="IRunStore"/>,
    /// <see cref="ICheckpointStore"/>, <see cref="IEffectsLedger"/>, <see cref="IUsageLedger"/>, <see cref="IToolCallLog"/>, <see cref="IMemoryStore"/> and
    /// <see cref="IMemoryVectorStore"/>.
    /// </summary>
    public static OptionsBuilder<PostgresStoreOptions> AddPostgresStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.BindAndValidate<PostgresStoreOptions>(PostgresStoreOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PostgresStore>();
        services.TryAddSingleton<IStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<ISessionStore, PostgresSessionStore>();
        services.TryAddSingleton<IOutbox, PostgresOutbox>();
        services.TryAddSingleton<IAuditLog, PostgresAuditLog>();
        services.TryAddSingleton<IRunStore, PostgresRunStore>();
        services.TryAddSingleton<ICheckpointStore, PostgresCheckpointStore>();
        services.TryAddSingleton<IEffectsLedger, PostgresEffectsLedger>();
        services.TryAddSingleton<IUsageLedger, PostgresUsageLedger>();
        services.TryAddSingleton<IToolCallLog, PostgresToolCallLog>();
        services.TryAddSingleton<IMemoryStore, PostgresMemoryStore>();
        services.TryAddSingleton<IMemoryVectorStore, PostgresMemoryVectorStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, PostgresStore>(sp => sp.GetRequiredService<PostgresStore>()));
        return options;
    }
}
