using System.Collections.Concurrent;

namespace Soma.Core.Signals;

/// <summary><see cref="IWakeBus"/> inside one process: a wake-up calls this process's subscribers of the topic.</summary>
public sealed class InProcessWakeBus : IWakeBus
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<object, Action>> _topics = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public void Wake(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (_topics.TryGetValue(topic, out var subscribers))
        {
            foreach (var onWake in subscribers.Values)
            {
                onWake();
            }
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(string topic, Action onWake)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(onWake);
        var key = new object();
        _topics.GetOrAdd(topic, static _ => new ConcurrentDictionary<object, Action>())[key] = onWake;
        return new Subscription(() => _topics[topic].TryRemove(key, out _));
    }

    private sealed class Subscription(Action leave) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                leave();
            }
        }
    }
}
