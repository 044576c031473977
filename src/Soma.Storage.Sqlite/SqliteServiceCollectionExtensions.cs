using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Storage.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite adapters of every store port.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Adds the embedded SQLite store (options bound and validated from <c>Soma:Store:Sqlite</c>) as the
    /// <see cref="IStore"/>, <see cref="ISessionStore"/>, <see cref="IOutbox"/>, <see cref="IAuditLog"/>, <see cref="IRunStore"/>,
    /// <see cref="ICheckpointStore"/>, <see cref="IEffectsLedger"/>, <see cref="IUsageLedger"/>, <see cref="IToolCallLog"/>, <see cref="IMemoryStore"/> and
    /// <see cref="IMemoryVectorStore"/>.
    /// </summary>
    public static OptionsBuilder<SqliteStoreOptions> AddSqliteStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.BindAndValidate<SqliteStoreOptions>(SqliteStoreOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SqliteStore>();
        services.TryAddSingleton<IStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<ISessionStore, SqliteSessionStore>();
        services.TryAddSingleton<IOutbox, SqliteOutbox>();
        services.TryAddSingleton<IAuditLog, SqliteAuditLog>();
        services.TryAddSingleton<IRunStore, SqliteRunStore>();
        services.TryAddSingleton<ICheckpointStore, SqliteCheckpointStore>();
        services.TryAddSingleton<IEffectsLedger, SqliteEffectsLedger>();
        services.TryAddSingleton<IUsageLedger, SqliteUsageLedger>();
        services.TryAddSingleton<IToolCallLog, SqliteToolCallLog>();
        services.TryAddSingleton<IMemoryStore, SqliteMemoryStore>();
        services.TryAddSingleton<IMemoryVectorStore, SqliteMemoryVectorStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, SqliteStore>(sp => sp.GetRequiredService<SqliteStore>()));
        return options;
    }
}
