using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Storage;
using Soma.Storage.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite adapters of every store port.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Adds the embedded SQLite store (options bound and validated from <c>Soma:Store:Sqlite</c>) as the
    /// <see cref="IStore"/>, <see cref="ISessionStore"/>, <see cref="IOutbox"/> and <see cref="IAuditLog"/>.
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, SqliteStore>(sp => sp.GetRequiredService<SqliteStore>()));
        return options;
    }
}
