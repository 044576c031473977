namespace Soma.Core.Signals;

/// <summary>
/// Wakes a background loop of this process as soon as there is work for it, so the work does not wait for the next
/// poll (other processes still find it by polling). The loop calls <see cref="Reset"/> before it looks for work and
/// then waits on <see cref="WhenNotified"/>: a notification between the two is never lost, and no waiter is left
/// behind to swallow a later one. Each loop has its own subclass, so each gets its own instance from DI.
/// </summary>
public abstract class WakeSignal
{
    private TaskCompletionSource _current = New();

    /// <summary>Wakes the loop (or makes its next wait return at once).</summary>
    public void Notify() => Volatile.Read(ref _current).TrySetResult();

    /// <summary>Forgets notifications seen so far: the caller is about to look for work itself.</summary>
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
