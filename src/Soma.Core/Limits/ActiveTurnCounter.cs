using System.Collections.Concurrent;

namespace Soma.Core.Limits;

/// <summary>
/// Turns in flight per tenant in this process: the gateway takes a slot when it accepts a message and the worker gives
/// it back when the turn's run ends. After a restart, turns resumed from before it are not counted (a count never
/// goes below zero).
/// </summary>
public sealed class ActiveTurnCounter
{
    private readonly ConcurrentDictionary<string, int> _active = new(StringComparer.Ordinal);

    /// <summary>Takes a slot unless the tenant already has <paramref name="limit"/> turns in flight.</summary>
    public bool TryAcquire(string tenantId, int limit)
    {
        while (true)
        {
            var current = _active.GetValueOrDefault(tenantId);
            if (current >= limit)
            {
                return false;
            }

            if (current == 0 ? _active.TryAdd(tenantId, 1) : _active.TryUpdate(tenantId, current + 1, current))
            {
                return true;
            }
        }
    }

    /// <summary>Gives a slot back.</summary>
    public void Release(string tenantId)
    {
        while (_active.TryGetValue(tenantId, out var current))
        {
            if (current <= 1 ? _active.TryRemove(new KeyValuePair<string, int>(tenantId, current)) : _active.TryUpdate(tenantId, current - 1, current))
            {
                return;
            }
        }
    }

    /// <summary>The tenant's turns in flight.</summary>
    public int Count(string tenantId) => _active.GetValueOrDefault(tenantId);
}
