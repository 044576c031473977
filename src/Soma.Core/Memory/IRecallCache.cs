namespace Soma.Core.Memory;

/// <summary>
/// Recall results kept for a short time (default 5 minutes). Keys hold the tenant, the namespace, the namespace's
/// generation and a hash of the query and its parameters, so a write to a namespace (<see cref="InvalidateAsync"/>)
/// makes every cached recall of it unreachable at once. Adapters: in-process (default) and Redis.
/// A cache that cannot be reached behaves as a miss; it never fails a recall.
/// </summary>
public interface IRecallCache
{
    /// <summary>The cached answer to <paramref name="request"/>, or null on a miss.</summary>
    ValueTask<RecallResponse?> GetAsync(RecallRequest request, CancellationToken cancellationToken = default);

    /// <summary>Keeps <paramref name="response"/> as the answer to <paramref name="request"/> for the configured time.</summary>
    ValueTask SetAsync(RecallRequest request, RecallResponse response, CancellationToken cancellationToken = default);

    /// <summary>Forgets every cached recall of the tenant's namespace (moves its generation on).</summary>
    ValueTask InvalidateAsync(string tenant, string memoryNamespace, CancellationToken cancellationToken = default);
}
