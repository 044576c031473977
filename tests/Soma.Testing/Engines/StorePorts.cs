using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Testing.Engines;

/// <summary>
/// Every port of one store, resolved from a service provider that <c>AddSqliteStore</c> or <c>AddPostgresStore</c>
/// built, as the server builds them; disposing it disposes the provider and with it the store.
/// </summary>
public sealed class StorePorts(ServiceProvider services) : IAsyncDisposable
{
    public IServiceProvider Services => services;

    public IStore Store => Get<IStore>();

    public ISessionStore Sessions => Get<ISessionStore>();

    public IOutbox Outbox => Get<IOutbox>();

    public IAuditLog Audit => Get<IAuditLog>();

    public IRunStore Runs => Get<IRunStore>();

    public ICheckpointStore Checkpoints => Get<ICheckpointStore>();

    public IEffectsLedger Effects => Get<IEffectsLedger>();

    public IUsageLedger Usage => Get<IUsageLedger>();

    public IToolCallLog ToolCalls => Get<IToolCallLog>();

    public IMemoryStore Memories => Get<IMemoryStore>();

    public IMemoryVectorStore Vectors => Get<IMemoryVectorStore>();

    public ValueTask DisposeAsync() => services.DisposeAsync();

    private T Get<T>()
        where T : notnull => services.GetRequiredService<T>();
}
