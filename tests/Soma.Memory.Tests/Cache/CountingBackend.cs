using Soma.Core.Memory;

namespace Soma.Memory.Tests.Cache;

/// <summary>
/// A stand-in for the remote memory service (a port to another process, not our code under test): answers every
/// recall with <see cref="Answer"/> and counts the calls.
/// </summary>
internal sealed class CountingBackend : IMemoryBackend
{
    private int _recalls;

    public int Recalls => Volatile.Read(ref _recalls);

    public RecallResponse Answer { get; set; } = new([], 0, Degraded: false);

    public Exception? Failure { get; set; }

    public Task<RecallResponse> RecallAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _recalls);
        return Failure is { } failure ? Task.FromException<RecallResponse>(failure) : Task.FromResult(Answer);
    }

    public Task<RememberResponse> RememberAsync(RememberRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<RememberBatchResponse> RememberBatchAsync(RememberBatchRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<MemoryHealthResponse> HealthAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
