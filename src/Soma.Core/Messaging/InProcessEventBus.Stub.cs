using System.Runtime.CompilerServices;
using Soma.Contracts.Schemas;

namespace Soma.Core.Messaging;

/// <summary>Temporary stand-in until the real in-process bus merges.</summary>
public sealed class InProcessEventBus(SchemaRegistry schemas, TimeProvider time, int maxMessages) : IEventBus
{
    private long _sequence;

    /// <inheritdoc />
    public string Name => "in-process";

    /// <summary>Unused.</summary>
    public SchemaRegistry Schemas => schemas;

    /// <summary>Unused.</summary>
    public TimeProvider Time => time;

    /// <summary>Unused.</summary>
    public int MaxMessages => maxMessages;

    /// <inheritdoc />
    public Task PrepareAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<BusPublishResult> PublishAsync(BusMessage message, CancellationToken cancellationToken = default) =>
        Task.FromResult(new BusPublishResult((ulong)Interlocked.Increment(ref _sequence), false));

    /// <inheritdoc />
    public async IAsyncEnumerable<BusDelivery> SubscribeAsync(BusSubscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        yield break;
    }
}
