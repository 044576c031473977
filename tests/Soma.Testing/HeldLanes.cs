using Soma.Core.Storage;

namespace Soma.Testing;

/// <summary>
/// Every lane of a <see cref="GroupCommitter"/> held inside a transaction by a holder that waits for
/// <see cref="ReleaseAsync"/>: commits asked for meanwhile queue, and the first lane to finish takes them all into one
/// shared transaction, led by a holder (a caller with no request of its own). Makes a shared transaction deterministic.
/// </summary>
public sealed class HeldLanes
{
    private readonly TaskCompletionSource _hold = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task<int>> _holders = [];
    private readonly TimeSpan _patience;

    private HeldLanes(TimeSpan patience) => _patience = patience;

    /// <summary>Holds each of <paramref name="store"/>'s lanes; returns once the commits asked for next will queue.</summary>
    public static async Task<HeldLanes> HoldAsync(GroupCommitter committer, IStore store, TimeSpan patience)
    {
        ArgumentNullException.ThrowIfNull(committer);
        ArgumentNullException.ThrowIfNull(store);
        var held = new HeldLanes(patience);
        for (var lane = 0; lane < store.GroupCommitLanes; lane++)
        {
            var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held._holders.Add(committer.RunAsync(async (_, _) =>
            {
                holding.TrySetResult();
                await held._hold.Task;
                return 0;
            }, CancellationToken.None));

            // A leader begins its transaction before it takes its batch, so each holder starts only once the one before
            // it is in its transaction: otherwise a leader whose begin completed meanwhile could take holders and some of
            // the callers into one batch. On SQLite only one transaction is open at a time: the next lane's leader waits
            // for the writer, holding nothing yet, and takes its holder and every caller together once the first lets go.
            if (lane == 0 || store.Engine != "sqlite")
            {
                await holding.Task.WaitAsync(patience);
            }
        }

        return held;
    }

    /// <summary>Lets the holders commit, and waits until they have.</summary>
    public async Task ReleaseAsync()
    {
        _hold.TrySetResult();
        await Task.WhenAll(_holders).WaitAsync(_patience);
    }
}
