using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Checkpoints;

namespace Soma.Orchestration.Runs;

public sealed partial class RunExecutor
{
    // The commits of the run's state, fenced by its version and lease, with the events that go in the same transaction.
    private sealed partial class Execution
    {
        private async Task AppendStepEventsAsync(IStoreTransaction tx, RunRecord r, StepCompletion done, StepRecord record, RunCheckpoint committed)
        {
            await AppendStepResultAsync(tx, r, done, record).ConfigureAwait(false);
            await AppendCheckpointedAsync(tx, r, committed).ConfigureAwait(false);
        }

        private Task AppendCheckpointedAsync(IStoreTransaction tx, RunRecord r, RunCheckpoint committed) =>
            executor._events.AppendAsync(tx, r, new RunCheckpointed(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, RunScanner.Completed(committed)), cancellationToken);

        private async Task AppendStepResultAsync(IStoreTransaction tx, RunRecord r, StepCompletion done, StepRecord record)
        {
            var name = done.Definition.Id;
            int? iteration = done.Definition.LoopId is null ? null : done.LoopIteration;
            await executor._events.AppendAsync(tx, r, new StepStarted(done.Key, done.Attempt, done.StartCheckpointVersion, name, iteration), cancellationToken).ConfigureAwait(false);
            switch (record.Status)
            {
                case StepStatus.Succeeded:
                    await executor._events.AppendAsync(tx, r, new StepSucceeded(done.Key, done.Attempt, r.CheckpointVersion, done.DurationMs, OutputBytes(record.Output), name, iteration), cancellationToken, done.EffectKey).ConfigureAwait(false);
                    break;
                case StepStatus.Retrying:
                    await executor._events.AppendAsync(tx, r, new StepRetrying(done.Key, done.Attempt, r.CheckpointVersion, done.DurationMs, ToEventError(record.Error!), record.NextAttemptAt!.Value, (record.NextAttemptAt.Value - record.EndedAt!.Value).TotalMilliseconds, name, iteration), cancellationToken).ConfigureAwait(false);
                    break;
                case StepStatus.Failed:
                    await executor._events.AppendAsync(tx, r, new StepFailed(done.Key, done.Attempt, r.CheckpointVersion, done.DurationMs, ToEventError(record.Error!), name, iteration), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    break;
            }
        }

        // Skipped steps and loop progress are committed together; the event says how far the run has come.
        private Task AppendSkippedAsync(IStoreTransaction tx, RunRecord r, RunScan scan) =>
            scan.AnySkipped ? AppendCheckpointedAsync(tx, r, scan.Bookkeeping) : Task.CompletedTask;

        // Commits the run's next state; deferred results (batched durability) go in the same commit, with their steps'
        // events and, unless the caller's events announce the checkpoint (announcesCheckpoint), a RunCheckpointed.
        // events appends the caller's events, no other writes: they are made ahead, for the run as the commit will leave
        // it (the fence makes its next version certain), and written with the run's row (RunCommit.Events: one statement
        // on PostgreSQL), so a refused commit writes none. writes runs after the row was accepted, for what is not an
        // event of the run (an effect's record, a step's own commit) and whatever events follow from it.
        private async Task CommitAsync(
            RunState state, RunCheckpoint? next, Func<IStoreTransaction, RunRecord, Task>? events,
            string? output = null, string? error = null, string? waitingFor = null, DateTimeOffset? wakeAt = null, bool release = false, bool announcesCheckpoint = false,
            Func<IStoreTransaction, RunRecord, Task>? writes = null)
        {
            var startPending = _startPending;
            var deferred = _deferred.ToArray();
            if (deferred.Length > 0)
            {
                next ??= _state;
            }

            var checkpoint = next is null ? null : new CheckpointData(CheckpointFormat.Current, CheckpointFormat.Write(next));

            // The run as an accepted commit leaves it: the store adds one to the version it fences on, and one to the
            // checkpoint version with a checkpoint. Its events are made now, before it joins a group commit.
            var changed = _run with { State = state, Version = _run.Version + 1, CheckpointVersion = _run.CheckpointVersion + (checkpoint is null ? 0 : 1) };
            var ahead = await executor._events.CollectAsync(async key =>
            {
                if (startPending)
                {
                    await executor._events.AppendAsync(key, changed, new RunStarted(changed.Version, RunEvents.Workflow(changed), owner), cancellationToken).ConfigureAwait(false);
                }

                foreach (var (done, record) in deferred)
                {
                    await AppendStepResultAsync(key, changed, done, record).ConfigureAwait(false);
                }

                if (events is not null)
                {
                    await events(key, changed).ConfigureAwait(false);
                }

                if (writes is null && deferred.Length > 0 && !announcesCheckpoint)
                {
                    await AppendCheckpointedAsync(key, changed, next!).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);

            // Events the writes add go to the outbox together, after the run's row: one round trip on PostgreSQL.
            var committed = await executor._committer.RunAsync(
                (transaction, token) => executor._events.HoldingAsync(transaction, () => CommitCoreAsync(transaction, token), token), cancellationToken).ConfigureAwait(false);

            async Task<RunRecord?> CommitCoreAsync(IStoreTransaction transaction, CancellationToken token)
            {
                var result = await executor._runs.CommitAsync(transaction, new RunCommit(_run.TenantId, _run.Id, _run.Version, state)
                {
                    LeaseOwner = owner,
                    Checkpoint = checkpoint,
                    Output = output,
                    Error = error,
                    WaitingFor = waitingFor,
                    WakeAt = wakeAt,
                    ReleaseLease = release,
                    Events = ahead.Rows,
                    Last = writes is null && !executor._events.ObserversWrite(changed),
                }, token).ConfigureAwait(false);
                if (!result.Committed)
                {
                    return null;
                }

                if (result.Version != changed.Version || result.CheckpointVersion != changed.CheckpointVersion)
                {
                    // The store broke its contract; the events written with the row name versions it does not have.
                    throw new InvalidOperationException($"Run {_run.Id} was committed at version {result.Version}/{result.CheckpointVersion}, not {changed.Version}/{changed.CheckpointVersion}.");
                }

                await ahead.NotifyAsync(transaction, cancellationToken).ConfigureAwait(false);
                if (writes is not null)
                {
                    await writes(transaction, changed).ConfigureAwait(false);
                    if (deferred.Length > 0 && !announcesCheckpoint)
                    {
                        await AppendCheckpointedAsync(transaction, changed, next!).ConfigureAwait(false);
                    }
                }

                return changed;
            }

            // Only now, after the transaction committed, does the run's state move on.
            _run = committed ?? throw new RunFencedException($"Run {_run.Id} moved past version {_run.Version} or its lease was taken over; nothing was committed.");
            _state = next ?? _state;
            _deferred.Clear();
            _startPending = false;
            if (executor._exporter is { Enabled: true } export)
            {
                export.Offer(Export.RunGraph.Build(_workflow, _run, _state));
            }
        }

        private static EventError ToEventError(StepError error) => new(error.Code, error.Message, error.Retryable);

        // The output's UTF-8 length, read from the element's own bytes: its text is not made just to be measured.
        private static long? OutputBytes(JsonElement? output) => output is { } o ? System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(o).Length : null;
    }
}
