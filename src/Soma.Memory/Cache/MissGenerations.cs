using System.Runtime.CompilerServices;
using Soma.Core.Memory;

namespace Soma.Memory.Cache;

/// <summary>
/// The namespace generation a cache miss saw, kept with the request object until its <c>SetAsync</c>.
/// </summary>
/// <remarks>
/// Without this a recall racing a write could cache a pre-write answer under the post-write generation: miss at
/// generation 4 → backend answers (without the write) → write invalidates, generation 5 → set under 5, served stale for
/// the whole TTL. Storing under the generation the miss saw (4) leaves such an answer unreachable. The port passes no
/// token from get to set, so the generation rides on the request instance (reference identity, weakly held, so nothing
/// leaks when a caller never sets). A set without a preceding miss on the same instance uses the current generation.
/// </remarks>
internal sealed class MissGenerations
{
    private readonly ConditionalWeakTable<RecallRequest, StrongBox<long>> _seen = [];

    public void Remember(RecallRequest request, long generation) => _seen.AddOrUpdate(request, new StrongBox<long>(generation));

    public bool TryTake(RecallRequest request, out long generation)
    {
        if (_seen.TryGetValue(request, out var box))
        {
            _seen.Remove(request);
            generation = box.Value;
            return true;
        }

        generation = 0;
        return false;
    }
}
