namespace Soma.Orchestration.Runs;

/// <summary>
/// Wakes this process's worker as soon as a run is accepted here, so a new run does not wait for the next poll.
/// Other processes still find it by polling.
/// </summary>
public sealed class RunSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Wakes the worker (at most one wake-up is kept).</summary>
    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another notification got there first: one wake-up is enough.
            }
        }
    }

    /// <summary>Waits for a notification or <paramref name="timeout"/>, whichever comes first.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
