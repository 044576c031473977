using Soma.Core.Memory;

namespace Soma.Memory.Client;

/// <summary>
/// Links waiting to travel inline with the next remember of their source key, while the service has no
/// <c>POST /link</c>. Bounded in source keys and in links per key; a link that does not fit is refused, never dropped.
/// </summary>
internal sealed class PendingLinks(int maxSourceKeys, int maxLinksPerKey)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Tenant, string FromKey), List<MemoryLink>> _links = [];
    private int _count;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Keeps the link; false when the structure is full (the caller must refuse the link).</summary>
    public bool TryAdd(string tenant, string fromKey, MemoryLink link)
    {
        lock (_gate)
        {
            if (!_links.TryGetValue((tenant, fromKey), out var list))
            {
                if (_links.Count >= maxSourceKeys)
                {
                    return false;
                }

                list = [];
                _links[(tenant, fromKey)] = list;
            }

            var same = list.FindIndex(l => SameEdge(l, link));
            if (same >= 0)
            {
                list[same] = link;
                return true;
            }

            if (list.Count >= maxLinksPerKey)
            {
                return false;
            }

            list.Add(link);
            _count++;
            return true;
        }
    }

    /// <summary>Takes every link waiting for the source key; null when there are none.</summary>
    public List<MemoryLink>? Take(string tenant, string fromKey)
    {
        lock (_gate)
        {
            if (!_links.Remove((tenant, fromKey), out var list))
            {
                return null;
            }

            _count -= list.Count;
            return list;
        }
    }

    /// <summary>Puts links back after the remember that should have carried them failed.</summary>
    public void Restore(string tenant, string fromKey, List<MemoryLink> links)
    {
        lock (_gate)
        {
            if (!_links.TryGetValue((tenant, fromKey), out var list))
            {
                // Restoring may exceed the bounds briefly: these links were accepted once and must not be lost.
                _links[(tenant, fromKey)] = links;
                _count += links.Count;
                return;
            }

            foreach (var link in links)
            {
                if (!list.Exists(l => SameEdge(l, link)))
                {
                    list.Add(link);
                    _count++;
                }
            }
        }
    }

    /// <summary>The request's own links plus the pending ones (the request's win on the same rel and target).</summary>
    public static IReadOnlyList<MemoryLink> Merge(IReadOnlyList<MemoryLink>? own, List<MemoryLink> pending)
    {
        var merged = new List<MemoryLink>(own ?? []);
        foreach (var link in pending)
        {
            if (!merged.Exists(l => SameEdge(l, link)))
            {
                merged.Add(link);
            }
        }

        return merged;
    }

    private static bool SameEdge(MemoryLink a, MemoryLink b) =>
        string.Equals(a.Rel, b.Rel, StringComparison.Ordinal) && string.Equals(a.Target, b.Target, StringComparison.Ordinal);
}
