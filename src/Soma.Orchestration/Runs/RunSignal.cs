namespace Soma.Orchestration.Runs;

/// <summary>
/// Wakes this process's worker as soon as a run is accepted here, so a new run does not wait for the next poll.
/// Other processes still find it by polling. The worker calls <see cref="Reset"/> before it looks for runs and then
/// waits on <see cref="WhenNotified"/>: a notification between the two is never lost, and no waiter is left behind
/// to swallow a later one.
/// </summary>
public sealed class RunSignal
{
    private TaskCompletionSource _current = New();

    /// <summary>Wakes the worker (or makes its next wait return at once).</summary>
    public void Notify() => Volatile.Read(ref _current).TrySetResult();

    /// <summary>Forgets notifications seen so far: the caller is about to look for runs itself.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _current);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _current, New(), current);
        }
    }

    /// <summary>Completes at the first notification after the last <see cref="Reset"/>.</summary>
    public Task WhenNotified() => Volatile.Read(ref _current).Task;

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
