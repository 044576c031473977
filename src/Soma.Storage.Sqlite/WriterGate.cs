namespace Soma.Storage.Sqlite;

/// <summary>
/// The first-come, first-served async lock in front of SQLite's single writer. <see cref="SemaphoreSlim"/> lets a
/// releasing caller take the lock straight back, so a busy loop (an outbox dispatcher claiming batch after batch)
/// could starve a request waiting to commit; here a release hands the lock to the longest waiter.
/// </summary>
internal sealed class WriterGate
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private bool _held;

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A cancelled waiter stays queued; Release skips it because its task is already complete.
            var registration = cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter);
            waiter.Task.ContinueWith(
                static (_, state) => ((CancellationTokenRegistration)state!).Dispose(),
                registration,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return waiter.Task;
    }

    public void Release()
    {
        lock (_lock)
        {
            while (_waiters.TryDequeue(out var next))
            {
                // Hand the lock over directly: _held stays true.
                if (next.TrySetResult())
                {
                    return;
                }
            }

            _held = false;
        }
    }
}
