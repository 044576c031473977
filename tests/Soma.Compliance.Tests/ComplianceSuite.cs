using Microsoft.Extensions.Time.Testing;
using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

/// <summary>
/// The base of every port suite: a fresh store per test on the engine, and a fake clock so leases and retry times are
/// controlled without sleeping.
/// </summary>
public abstract class ComplianceSuite<TEngine>(TEngine engine) : IClassFixture<TEngine>, IAsyncLifetime
    where TEngine : StoreEngine
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    protected TEngine Engine { get; } = engine;

    protected FakeTimeProvider Clock { get; } = new(Start);

    protected StorePorts Ports { get; private set; } = null!;

    protected IStore Store => Ports.Store;

    protected virtual OutboxOptions OutboxOptions => new() { MaxAttempts = 3 };

    /// <summary>More configuration keys of the store, e.g. an engine's option a suite is about.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async ValueTask InitializeAsync() => Ports = await Engine.CreateAsync(Clock, OutboxOptions, Settings);

    public async ValueTask DisposeAsync() => await Ports.DisposeAsync();

    protected static string NewTenant() => $"t-{Guid.NewGuid():N}"[..20];

    /// <summary>Runs <paramref name="work"/> in a transaction and commits it.</summary>
    protected async Task<T> InTransactionAsync<T>(Func<IStoreTransaction, Task<T>> work)
    {
        await using var transaction = await Store.BeginAsync();
        var result = await work(transaction);
        await transaction.CommitAsync();
        return result;
    }

    protected Task InTransactionAsync(Func<IStoreTransaction, Task> work) =>
        InTransactionAsync(async tx =>
        {
            await work(tx);
            return true;
        });
}
