using System.Collections.Concurrent;
using Soma.Core.Runs;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Runs accepted in this process and leased to this process's worker in the accepting commit, handed to it in memory:
/// no second commit to lease them, no poll to find them. The worker opens it with its id, lease and run slots; a start
/// takes a slot before its commit (<see cref="TryReserve"/>) and either hands the committed run over
/// (<see cref="Deliver"/>) or gives the slot back. The worker's own leases take slots from the same count, so the runs
/// it executes never exceed its limit. A run handed over here and never executed (the process died) is leased like
/// any other: another worker takes it once the lease runs out.
/// </summary>
public sealed class RunHandOff
{
    private readonly ConcurrentQueue<RunRecord> _delivered = new();
    private readonly Arrivals _arrivals = new();
    private readonly Lock _gate = new();
    private string? _owner;
    private TimeSpan _lease;
    private int _capacity;
    private int _used;

    /// <summary>The worker taking runs from here, or null while none is open.</summary>
    public string? Owner
    {
        get
        {
            lock (_gate)
            {
                return _owner;
            }
        }
    }

    /// <summary>Slots not taken by a run being executed, reserved or handed over.</summary>
    public int Free
    {
        get
        {
            lock (_gate)
            {
                return _capacity - _used;
            }
        }
    }

    /// <summary>Called by the worker when it starts: runs accepted here from now on are leased to <paramref name="owner"/>.</summary>
    public void Open(string owner, TimeSpan lease, int capacity)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        lock (_gate)
        {
            // Runs handed to a worker that stopped before taking them are leased to it; their leases run out and any
            // worker takes them from the store.
            _delivered.Clear();
            (_owner, _lease, _capacity, _used) = (owner, lease, capacity, 0);
        }
    }

    /// <summary>Called by the worker when it stops: no more reservations; runs handed over and not taken keep their lease until it runs out.</summary>
    public void Close()
    {
        lock (_gate)
        {
            (_owner, _capacity) = (null, 0);
        }
    }

    /// <summary>Takes a slot for a run about to be accepted, or returns null when no worker is open here or none is free.</summary>
    public RunLease? TryReserve(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_owner is null || _used >= _capacity)
            {
                return null;
            }

            _used++;
            return new RunLease(_owner, now + _lease);
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> slots for runs the worker is about to lease from the store; returns how many.</summary>
    public int ReserveUpTo(int wanted)
    {
        lock (_gate)
        {
            var granted = Math.Max(0, Math.Min(wanted, _capacity - _used));
            _used += granted;
            return granted;
        }
    }

    /// <summary>Gives slots back: a run finished, or a reservation was not used.</summary>
    public void Release(int count = 1)
    {
        lock (_gate)
        {
            _used = Math.Max(0, _used - count);
        }
    }

    /// <summary>Hands a committed run (leased with a reserved slot) to the worker.</summary>
    public void Deliver(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        _delivered.Enqueue(run);
        _arrivals.Notify();
    }

    /// <summary>Forgets hand-overs seen so far: the worker is about to take what has arrived (see <see cref="Core.Signals.WakeSignal"/>).</summary>
    public void ResetArrivals() => _arrivals.Reset();

    /// <summary>Completes at the first hand-over after the last <see cref="ResetArrivals"/>.</summary>
    public Task WhenArrived() => _arrivals.WhenNotified();

    /// <summary>The next run handed over, if any.</summary>
    public bool TryTake(out RunRecord run) => _delivered.TryDequeue(out run!);
}

/// <summary>Wakes the worker when a run is handed over.</summary>
internal sealed class Arrivals : Core.Signals.WakeSignal;

/// <summary>The lease a run is accepted with when this process's worker will execute it.</summary>
/// <param name="Owner">The worker's id.</param>
/// <param name="ExpiresAt">When the lease runs out unless renewed.</param>
public sealed record RunLease(string Owner, DateTimeOffset ExpiresAt);

/// <summary>
/// A slot of this process's worker held for one run about to be accepted (<see cref="RunService.Reserve"/>), or none
/// (<see cref="Lease"/> null: the run is accepted unleased, and a worker leases it). Dispose it in any case: a slot
/// that was not handed over goes back.
/// </summary>
public sealed class RunReservation : IDisposable
{
    private readonly RunHandOff? _handOff;

    internal RunReservation(RunHandOff? handOff, RunLease? lease)
    {
        _handOff = handOff;
        Lease = lease;
    }

    /// <summary>The lease to accept the run with, or null.</summary>
    public RunLease? Lease { get; private set; }

    /// <summary>Hands the committed <paramref name="run"/>, accepted with <see cref="Lease"/>, to the worker.</summary>
    public void HandOver(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (Lease is null || run.LeaseOwner != Lease.Owner)
        {
            return;
        }

        _handOff!.Deliver(run);
        Lease = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Lease is not null)
        {
            Lease = null;
            _handOff!.Release();
        }
    }
}
