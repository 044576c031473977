using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Starting, resuming and cancelling runs on behalf of a tenant. Starting commits the accepted run (and its
/// <c>run.accepted</c> event) before it answers, so an accepted run never vanishes; workers take it from there. Where
/// this process's worker has a free slot, the same commit leases the run to it and starts it (<c>run.started</c>).
/// </summary>
public sealed class RunService(
    IStore store,
    IRunStore runs,
    ICheckpointStore checkpoints,
    IOutbox outbox,
    IIdGenerator ids,
    WorkflowRegistry workflows,
    TimeProvider time,
    IEnumerable<IRunEventObserver>? observers = null,
    RunSignal? signal = null,
    Core.Signals.IWakeBus? wakeBus = null,
    GroupCommitter? committer = null,
    RunHandOff? handOff = null)
{
    /// <summary>The wake-up topic of accepted runs: workers in other processes look for runs at once.</summary>
    public const string WakeTopic = "runs";

    private readonly RunEvents _events = new(outbox, ids, time, observers);
    private readonly GroupCommitter _committer = committer ?? new(store);

    /// <summary>
    /// Accepts a run of a registered workflow (the newest version when none is given), committed before this returns.
    /// Runs accepted at the same moment share a commit when the engine groups commits (<see cref="GroupCommitter"/>).
    /// When this process's worker has a free slot (<see cref="RunHandOff"/>), the run is leased to it and started in the
    /// same commit and handed to it in memory: the worker commits nothing to take or start it.
    /// </summary>
    public async Task<RunStartResult> StartAsync(
        string tenantId, string workflow, int? version, JsonElement input, string? idempotencyKey = null, string? traceParent = null, CancellationToken cancellationToken = default)
    {
        // Checked before the commit: the input's schema check is work of this caller alone, not of the shared transaction.
        if (Check(workflow, version, input, out var draft) is { } refused)
        {
            return refused;
        }

        using var reservation = Reserve();
        var accepted = await _committer.RunAsync((transaction, token) => AcceptCoreAsync(transaction, tenantId, draft, idempotencyKey, traceParent, reservation, alone: true, token), cancellationToken).ConfigureAwait(false);
        if (!accepted.Existing)
        {
            reservation.HandOver(accepted.Run);
        }

        return accepted;
    }

    /// <summary>
    /// Holds a slot of this process's worker, when it has one free, for a run about to be accepted with
    /// <see cref="AcceptAsync(IStoreTransaction, string, string, int?, JsonElement, string?, string?, RunReservation?, CancellationToken)"/>:
    /// the run is then accepted leased to that worker, and handed to it with <see cref="RunReservation.HandOver"/> once
    /// the transaction has committed. Disposing it gives back a slot that was not handed over.
    /// </summary>
    public RunReservation Reserve() => new(handOff, handOff?.TryReserve(time.GetUtcNow()));

    /// <summary>
    /// Accepts a run inside the caller's <paramref name="transaction"/>, with whatever else the caller writes there (a
    /// message, say): both commit or neither does. When an existing run has the same idempotency key, that run is
    /// returned (<c>Existing</c>) and nothing is written. This process's worker is woken when the transaction commits.
    /// </summary>
    public Task<RunStartResult> AcceptAsync(
        IStoreTransaction transaction, string tenantId, string workflow, int? version, JsonElement input, string? idempotencyKey = null, string? traceParent = null, CancellationToken cancellationToken = default) =>
        AcceptAsync(transaction, tenantId, workflow, version, input, idempotencyKey, traceParent, null, cancellationToken);

    /// <summary>
    /// <see cref="AcceptAsync(IStoreTransaction, string, string, int?, JsonElement, string?, string?, CancellationToken)"/>
    /// with a <see cref="Reserve"/>d slot of this process's worker: when the reservation holds one, the run is accepted
    /// leased to that worker, and the caller hands it over after the commit (<see cref="RunReservation.HandOver"/>).
    /// </summary>
    public async Task<RunStartResult> AcceptAsync(
        IStoreTransaction transaction, string tenantId, string workflow, int? version, JsonElement input, string? idempotencyKey, string? traceParent, RunReservation? reservation,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return Check(workflow, version, input, out var draft) ?? await AcceptAsync(transaction, tenantId, draft, idempotencyKey, traceParent, reservation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a run before any transaction: its workflow (the newest version when none is given) is registered and its
    /// input passes the workflow's input schema. Returns the refusal (<see cref="RunStartResult.WorkflowNotFound"/>,
    /// <see cref="RunStartResult.InvalidInput"/>), or <see langword="null"/> with the <paramref name="draft"/> to accept
    /// with <see cref="AcceptAsync(IStoreTransaction, string, RunDraft, string?, string?, RunReservation?, CancellationToken)"/>.
    /// Callers that share a commit with others check first, so the schema check runs beside the other callers' work
    /// instead of inside the transaction they all wait for.
    /// </summary>
    public RunStartResult? Check(string workflow, int? version, JsonElement input, out RunDraft draft)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        draft = null!;
        if (!workflows.TryGet(workflow, version, out var definition))
        {
            return new RunStartResult.WorkflowNotFound(version is null ? $"Workflow '{workflow}' is not registered." : $"Workflow '{workflow}' version {version} is not registered.");
        }

        if (definition.ValidateInput(input) is { Count: > 0 } errors)
        {
            return new RunStartResult.InvalidInput([.. errors.Select(e => (e.Pointer, e.Message))]);
        }

        draft = new RunDraft(definition, input);
        return null;
    }

    /// <summary>
    /// Accepts a run <see cref="Check"/>ed before, inside the caller's <paramref name="transaction"/>, as
    /// <see cref="AcceptAsync(IStoreTransaction, string, string, int?, JsonElement, string?, string?, RunReservation?, CancellationToken)"/>
    /// does, without checking its input again. A checked run is always accepted: as a new run, or as the run its
    /// idempotency key names (<c>Existing</c>).
    /// </summary>
    public Task<RunStartResult.Accepted> AcceptAsync(
        IStoreTransaction transaction, string tenantId, RunDraft draft, string? idempotencyKey, string? traceParent, RunReservation? reservation,
        CancellationToken cancellationToken = default) =>
        AcceptCoreAsync(transaction, tenantId, draft, idempotencyKey, traceParent, reservation, alone: false, cancellationToken);

    // alone: the run is all its transaction writes (a start of its own), so the run can be the transaction's last write.
    private async Task<RunStartResult.Accepted> AcceptCoreAsync(
        IStoreTransaction transaction, string tenantId, RunDraft draft, string? idempotencyKey, string? traceParent, RunReservation? reservation, bool alone,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(draft);
        var definition = draft.Definition;
        var input = draft.Input;
        var now = time.GetUtcNow();
        var lease = reservation?.Lease;

        // Leased to this process's worker, the run is also started in this commit (version 1, as after a start of its
        // own): accepted and started in one commit, the worker's first commit is its first step's.
        var run = new RunRecord(ids.NewId(), tenantId, definition.Name, definition.Version, lease is null ? RunState.Accepted : RunState.Running, lease is null ? 0 : 1, 0, input.GetRawText(), now, now)
        {
            IdempotencyKey = idempotencyKey,
            TraceParent = traceParent,
            LeaseOwner = lease?.Owner,
            LeaseExpiresAt = lease?.ExpiresAt,
        };
        // Its events are made ahead and written with the run, only if it is added (one statement on PostgreSQL); the
        // observers see them once it is.
        var ahead = await _events.CollectAsync(async key =>
        {
            await _events.AppendAsync(key, run, new RunAccepted(0, RunEvents.Workflow(run)), cancellationToken, idempotencyKey).ConfigureAwait(false);
            if (lease is not null)
            {
                await _events.AppendAsync(key, run, new RunStarted(run.Version, RunEvents.Workflow(run), lease.Owner), cancellationToken).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        var accepted = await runs.CreateAsync(transaction, new RunAcceptance(run) { Events = ahead.Rows, Last = alone && !_events.ObserversWrite(run) }, cancellationToken).ConfigureAwait(false);
        if (accepted.Id != run.Id)
        {
            return new RunStartResult.Accepted(accepted, Existing: true);
        }

        await ahead.NotifyAsync(transaction, cancellationToken).ConfigureAwait(false);
        if (lease is not null)
        {
            // This process's worker takes it from the caller's hand-over: nobody else needs to look for it.
            return new RunStartResult.Accepted(accepted, Existing: false);
        }

        if (signal is not null)
        {
            transaction.OnCommitted(signal.Notify);
        }

        if (wakeBus is not null)
        {
            transaction.OnCommitted(() => wakeBus.Wake(WakeTopic));
        }

        return new RunStartResult.Accepted(accepted, Existing: false);
    }

    /// <summary>
    /// Resumes a waiting run with the input it waits for, or a failed run from its last checkpoint (its failed steps
    /// run again with fresh attempts). Any other state is a conflict.
    /// </summary>
    public async Task<RunChangeResult> ResumeAsync(string tenantId, Guid runId, JsonElement? input, CancellationToken cancellationToken = default)
    {
        var run = await runs.GetAsync(tenantId, runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return RunChangeResult.NotFound;
        }

        if (run.State is not (RunState.Waiting or RunState.Failed))
        {
            return RunChangeResult.Conflict($"Run {runId} is {run.State.ToString().ToLowerInvariant()}; only a waiting or failed run can be resumed.");
        }

        var latest = await checkpoints.GetLatestAsync(tenantId, runId, cancellationToken).ConfigureAwait(false);
        var state = latest is null ? RunCheckpoint.Empty : CheckpointFormat.Read(latest.FormatVersion, latest.State);
        var from = run.State == RunState.Waiting ? ResumedFrom.Waiting : ResumedFrom.Failed;
        if (run.State == RunState.Waiting)
        {
            var resumeInput = input ?? JsonElement.Parse("null");
            foreach (var (key, _) in state.Steps.Where(s => s.Value.Status == StepStatus.Waiting))
            {
                state = state with { ResumeInputs = state.ResumeInputs.SetItem(key, resumeInput) };
            }
        }
        else
        {
            // From the last checkpoint: what succeeded stays, what failed runs again from its first attempt.
            state = state with { Steps = state.Steps.RemoveRange(state.Steps.Where(s => s.Value.Status == StepStatus.Failed).Select(s => s.Key)) };
        }

        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var result = await runs.CommitAsync(transaction, new RunCommit(tenantId, runId, run.Version, RunState.Running)
            {
                Checkpoint = new CheckpointData(CheckpointFormat.Current, CheckpointFormat.Write(state)),
                ReleaseLease = true,
            }, cancellationToken).ConfigureAwait(false);
            if (!result.Committed)
            {
                return RunChangeResult.Conflict($"Run {runId} changed while it was being resumed; try again.");
            }

            var resumed = run with { State = RunState.Running, Version = result.Version, CheckpointVersion = result.CheckpointVersion };
            await _events.AppendAsync(transaction, resumed, new RunResumed(resumed.Version, RunEvents.Workflow(resumed), resumed.CheckpointVersion, from), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return RunChangeResult.Changed(resumed);
        }
    }

    /// <summary>Cancels a run that has not ended; its worker is fenced off at its next commit.</summary>
    public async Task<RunChangeResult> CancelAsync(string tenantId, Guid runId, string? reason = null, CancellationToken cancellationToken = default)
    {
        var run = await runs.GetAsync(tenantId, runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return RunChangeResult.NotFound;
        }

        if (run.IsEnded)
        {
            return RunChangeResult.Conflict($"Run {runId} has already {run.State.ToString().ToLowerInvariant()}.");
        }

        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var result = await runs.CommitAsync(transaction, new RunCommit(tenantId, runId, run.Version, RunState.Cancelled) { ReleaseLease = true }, cancellationToken).ConfigureAwait(false);
            if (!result.Committed)
            {
                return RunChangeResult.Conflict($"Run {runId} changed while it was being cancelled; try again.");
            }

            var cancelled = run with { State = RunState.Cancelled, Version = result.Version };
            await _events.AppendAsync(transaction, cancelled, new RunCancelled(cancelled.Version, RunEvents.Workflow(cancelled), reason), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return RunChangeResult.Changed(cancelled);
        }
    }
}
