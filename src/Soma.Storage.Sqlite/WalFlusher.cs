using System.Runtime.InteropServices;

namespace Soma.Storage.Sqlite;

/// <summary>
/// Makes commits durable off the writer connection (docs/decisions/0016-pipelined-wal-flush.md). The writer commits with
/// <c>synchronous = NORMAL</c>, which writes the transaction's frames to the write-ahead log without waiting for the
/// disk, and hands the write lock on at once; each committer then waits here for an <c>fdatasync</c> of the log that
/// started after its frames were written. One flush covers every commit written before it started, so while a flush runs
/// the writer is already running the next transaction's statements, and the commits that arrive meanwhile share the next
/// flush. A committer that finds no flush running flushes on its own thread (a lone writer pays no thread hop); the
/// commits left uncovered when its flush ends are flushed by a thread of the flusher's own, which the OS schedules at once
/// however busy the thread pool is.
/// </summary>
internal sealed class WalFlusher : IDisposable
{
    private readonly string _walPath;
    // A monitor, not a System.Threading.Lock: the flusher's thread waits on it for work.
    private readonly object _lock = new();
    private readonly List<(long Ticket, TaskCompletionSource Done)> _waiters = [];
    private long _written;
    private long _durable;
    private long _flushes;
    private bool _flushing;
    private int _fd = -1;
    private IOException? _failure;
    private bool _disposed;
    private bool _handedOff;
    private long _contendedAt = long.MinValue / 2;

    // How long after two commits last overlapped each commit leaves its flush to the flusher's thread, even when it finds
    // no other writer: under concurrent load a committer blocked in fdatasync holds a pool thread the other writers'
    // work needs, while a lone writer (a single run) gains from flushing at once, without waking another thread.
    private const long ContendedMilliseconds = 100;
    private Thread? _thread;

    public WalFlusher(string databasePath) => _walPath = databasePath + "-wal";

    /// <summary>
    /// The commits written to the log so far, those a finished flush made durable (every one written before that flush
    /// started), and the flushes (<c>fdatasync</c> calls) made, read together.
    /// </summary>
    public (long Written, long Durable, long Flushes) Counts
    {
        get
        {
            lock (_lock)
            {
                return (_written, _durable, _flushes);
            }
        }
    }

    /// <summary>
    /// Call right after a <c>COMMIT</c> returned: completes once a flush that started after the commit's frames were
    /// written has ended, and fails (as every later commit does) if the log could not be flushed. With
    /// <paramref name="alone"/> (no other transaction under way), no flush running and no commits overlapping lately, the
    /// caller flushes on its own thread; otherwise the flusher's thread does, and the caller's thread is free meanwhile.
    /// </summary>
    public Task FlushAsync(bool alone)
    {
        lock (_lock)
        {
            if (_failure is not null)
            {
                return Task.FromException(_failure);
            }

            var ticket = ++_written;
            if (_flushing)
            {
                // Commits overlap: for a while, none is flushed on its committer's thread.
                _contendedAt = Environment.TickCount64;
            }

            if (_flushing || !alone || Environment.TickCount64 - _contendedAt < ContendedMilliseconds)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((ticket, done));
                if (!_flushing)
                {
                    _flushing = true;
                    HandOff();
                }

                return done.Task;
            }

            _flushing = true;
        }

        var error = FlushOnce();
        return error is null ? Task.CompletedTask : Task.FromException(error);
    }

    /// <summary>Stops the flusher's thread and closes the log's descriptor once the flushes under way have ended.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            // A flush still running owns the descriptor; it closes it when it ends.
            _disposed = true;
            Monitor.PulseAll(_lock);
            if (_flushing)
            {
                return;
            }
        }

        CloseLog();
    }

    // The flusher's thread: flushes for the commits a committer's flush left uncovered, until none are left.
    private void Run()
    {
        while (true)
        {
            lock (_lock)
            {
                while (!_handedOff && !_disposed)
                {
                    Monitor.Wait(_lock);
                }

                if (!_handedOff)
                {
                    return;
                }

                _handedOff = false;
            }

            FlushOnce();
        }
    }

    // Flushes everything written so far, completes the commits it covered, and leaves the commits written meanwhile to
    // the flusher's thread. Returns this flush's failure, if any.
    private IOException? FlushOnce()
    {
        long target;
        lock (_lock)
        {
            target = _written;
        }

        var error = Flush();
        List<TaskCompletionSource>? covered = null;
        var more = false;
        IOException? failure;
        lock (_lock)
        {
            failure = _failure ??= error;
            _flushes++;
            if (error is null)
            {
                _durable = target;
            }

            var kept = 0;
            for (var i = 0; i < _waiters.Count; i++)
            {
                var waiter = _waiters[i];
                if (waiter.Ticket <= target || failure is not null)
                {
                    (covered ??= []).Add(waiter.Done);
                }
                else
                {
                    _waiters[kept++] = waiter;
                }
            }

            _waiters.RemoveRange(kept, _waiters.Count - kept);
            more = kept > 0;
            _flushing = more;
            if (more)
            {
                HandOff();
            }
        }

        // Read under the lock above: once set, the store's failure stays, and every waiter it covered fails with it.
        foreach (var done in covered ?? [])
        {
            if (failure is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(failure);
            }
        }

        if (!more)
        {
            CloseIfDisposed();
        }

        return error;
    }

    // Called holding _lock: the flusher's thread takes over the flushing.
    private void HandOff()
    {
        _handedOff = true;
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "soma-sqlite-wal-flush" };
            _thread.Start();
        }

        Monitor.Pulse(_lock);
    }

    private void CloseIfDisposed()
    {
        lock (_lock)
        {
            if (!_disposed || _flushing)
            {
                return;
            }
        }

        CloseLog();
    }

    private void CloseLog()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = DurableFiles.Close(fd);
        }
    }

    private IOException? Flush()
    {
        if (_fd < 0)
        {
            _fd = DurableFiles.OpenReadOnly(_walPath);
            if (_fd < 0)
            {
                return new IOException($"SQLite's write-ahead log {_walPath} could not be opened to flush it (errno {Marshal.GetLastPInvokeError()}).");
            }
        }

        // A failed flush may have dropped the dirty pages it could not write: no later flush can vouch for them, so the
        // store refuses writes from then on (the commits it had acknowledged stay acknowledged; the ones waiting fail).
        return DurableFiles.DataSync(_fd) == 0
            ? null
            : new IOException($"SQLite's write-ahead log {_walPath} could not be flushed to the disk (errno {Marshal.GetLastPInvokeError()}); commits since the last flush may not be durable.");
    }
}
