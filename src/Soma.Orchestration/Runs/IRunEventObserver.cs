using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Sees every run and step event inside the transaction that commits it, so it can write what follows from the event
/// (a session's copy of it, say) atomically with it. Registered in DI; called in registration order.
/// </summary>
public interface IRunEventObserver
{
    /// <summary>Called inside <paramref name="transaction"/> for each event of <paramref name="run"/>.</summary>
    /// <param name="transaction">The transaction that commits the event.</param>
    /// <param name="run">The run, as of the commit.</param>
    /// <param name="eventId">The envelope id.</param>
    /// <param name="eventType">The event type, e.g. <c>run.started</c>.</param>
    /// <param name="payload">The envelope as JSON.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    Task OnEventAsync(IStoreTransaction transaction, RunRecord run, Guid eventId, string eventType, string payload, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <see cref="OnEventAsync"/> may write in the transaction for <paramref name="run"/>'s events. An observer
    /// that only registers callbacks (<see cref="IStoreTransaction.OnCommitted"/>) says no, so a step's change can be the
    /// last write of its transaction (<see cref="RunCommit.Last"/>).
    /// </summary>
    /// <param name="run">The run whose events it would see.</param>
    /// <returns>True unless it never writes for this run.</returns>
    bool WritesFor(RunRecord run) => true;
}
