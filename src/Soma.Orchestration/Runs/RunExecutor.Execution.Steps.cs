using System.Diagnostics;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

public sealed partial class RunExecutor
{
    // One step's attempt, and how its outcome becomes the step's record: committed at once, with the run's end, or deferred.
    private sealed partial class Execution
    {
        private async Task<StepCompletion> ExecuteStepAsync(StepWork work)
        {
            var started = executor._time.GetUtcNow();
            var timestamp = Stopwatch.GetTimestamp();
            var effectKey = work.Step.HasSideEffects ? EffectKeys.For(_run.Id, work.Step.Id, work.Iteration) : null;
            using var activity = ActivitySource.StartActivity($"step {work.Key}");
            activity?.SetTag("soma.step", work.Key);
            activity?.SetTag("soma.attempt", work.Attempt);
            try
            {
                if (effectKey is not null && await executor._effects.GetAsync(_run.TenantId, _run.Id, effectKey, cancellationToken).ConfigureAwait(false) is { } done)
                {
                    // Completed before (the commit that followed it was lost): return the recorded result, do not run again.
                    return new StepCompletion(work.Key, work.Step, work.Iteration, work.Attempt, StepOutcome.Succeeded(JsonElement.Parse(done.Result)), started, 0, effectKey, FromLedger: true) { StartCheckpointVersion = work.StartCheckpointVersion };
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (work.Step.Policy.Timeout is { } limit)
                {
                    timeout.CancelAfter(limit);
                }

                var context = new StepContext(
                    _run.Id, _run.TenantId, work.Key, work.Attempt, work.Iteration, effectKey, _input, work.Outputs,
                    executor._time.GetUtcNow(), () => StableRandom.For(_run.Id, work.Key, work.Attempt),
                    _state.ResumeInputs.TryGetValue(work.Key, out var resume) ? resume : null);
                StepOutcome outcome;
                try
                {
                    outcome = await work.Step.Execute(context, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    outcome = StepOutcome.Fail("step.timeout", $"The step did not finish within {work.Step.Policy.Timeout}.", retryable: true);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The exception text stays in the worker's log; the checkpoint and events carry its type only.
                    Log.StepThrew(executor._logger, ex, _run.Id, work.Key);
                    outcome = StepOutcome.Fail("step.exception", $"The step threw {ex.GetType().Name}.", retryable: true);
                }

                return new StepCompletion(work.Key, work.Step, work.Iteration, work.Attempt, outcome, started, Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds, effectKey, FromLedger: false) { StartCheckpointVersion = work.StartCheckpointVersion };
            }
            catch (OperationCanceledException)
            {
                return new StepCompletion(work.Key, work.Step, work.Iteration, work.Attempt, StepOutcome.Fail("step.cancelled", "The worker stopped.", retryable: true), started, 0, effectKey, FromLedger: false) { StartCheckpointVersion = work.StartCheckpointVersion };
            }
        }

        private async Task RecordAsync(StepCompletion done)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = executor._time.GetUtcNow();
            var previous = _state.Step(done.Key);
            var resumeInputs = _state.ResumeInputs.Remove(done.Key);
            StepRecord record;
            switch (done.Outcome)
            {
                case StepOutcome.StepSucceeded succeeded:
                    record = new StepRecord { Status = StepStatus.Succeeded, Attempts = done.Attempt, Output = succeeded.Output, StartedAt = done.StartedAt, EndedAt = now, DurationMs = done.DurationMs };
                    break;
                case StepOutcome.StepWaiting waiting:
                    record = new StepRecord { Status = StepStatus.Waiting, Attempts = done.Attempt, WaitingFor = waiting.WaitingFor, StartedAt = done.StartedAt, EndedAt = now, DurationMs = done.DurationMs };
                    break;
                case StepOutcome.StepFailure failure:
                    var error = new StepError(failure.Code, failure.Message, failure.Retryable);
                    if (failure.Retryable && done.Attempt < done.Definition.Policy.MaxAttempts)
                    {
                        var previousDelay = previous?.NextAttemptAt is { } at && previous.EndedAt is { } end ? at - end : TimeSpan.Zero;
                        var delay = done.Definition.Policy.NextDelay(previousDelay, StableRandom.For(_run.Id, done.Key, -done.Attempt));
                        record = new StepRecord { Status = StepStatus.Retrying, Attempts = done.Attempt, Error = error, NextAttemptAt = now + delay, StartedAt = done.StartedAt, EndedAt = now, DurationMs = done.DurationMs };
                    }
                    else
                    {
                        record = new StepRecord { Status = StepStatus.Failed, Attempts = done.Attempt, Error = error, StartedAt = done.StartedAt, EndedAt = now, DurationMs = done.DurationMs };
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Unknown step outcome {done.Outcome.GetType().Name}.");
            }

            var next = _state.WithStep(done.Key, record) with { ResumeInputs = resumeInputs };
            var recordsEffect = done is { EffectKey: not null, FromLedger: false } && record.Status == StepStatus.Succeeded;
            var stepCommit = done.Outcome.Commit;

            // The step's events, made ahead and written with the run's row.
            Task StepEventsAsync(IStoreTransaction tx, RunRecord r) => AppendStepEventsAsync(tx, r, done, record, next);

            // What else the step writes once the row is accepted: the effect's record, the step's own commit.
            async Task WritesAsync(IStoreTransaction tx, RunRecord r)
            {
                if (recordsEffect)
                {
                    await executor._effects.RecordAsync(tx, new EffectRecord(r.TenantId, r.Id, done.EffectKey!, record.Output!.Value.GetRawText(), now), cancellationToken).ConfigureAwait(false);
                }

                if (stepCommit is not null)
                {
                    await stepCommit(new StepCommitContext(tx, r, executor._events.SinkFor(tx, r, cancellationToken), cancellationToken)).ConfigureAwait(false);
                }
            }

            var writes = recordsEffect || stepCommit is not null ? WritesAsync : (Func<IStoreTransaction, RunRecord, Task>?)null;

            // The run's last step: its result and the run's end go in one commit (one fsync fewer per run).
            if (record.Status == StepStatus.Succeeded && _inFlight.Count == 0 && OutputIfDone(next, now) is { } output)
            {
                var duration = (now - _run.CreatedAt).TotalMilliseconds;
                Task SucceededAsync(IStoreTransaction tx, RunRecord r) =>
                    executor._events.AppendAsync(tx, r, new RunSucceeded(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, duration, JsonElement.Parse(output)), cancellationToken);

                async Task StepEventsThenSucceededAsync(IStoreTransaction tx, RunRecord r)
                {
                    await StepEventsAsync(tx, r).ConfigureAwait(false);
                    await SucceededAsync(tx, r).ConfigureAwait(false);
                }

                async Task WritesThenSucceededAsync(IStoreTransaction tx, RunRecord r)
                {
                    await WritesAsync(tx, r).ConfigureAwait(false);
                    await SucceededAsync(tx, r).ConfigureAwait(false);
                }

                // run.succeeded comes last: with the step's events, or after the step's own commit's when it has one.
                await CommitAsync(
                    RunState.Succeeded, next, stepCommit is null ? StepEventsThenSucceededAsync : StepEventsAsync,
                    output: output, release: true, announcesCheckpoint: true, writes: stepCommit is null ? writes : WritesThenSucceededAsync).ConfigureAwait(false);

                Ended = true;
                Log.RunEnded(executor._logger, _run.Id, "succeeded");
                return;
            }

            if (_workflow.Durability.Mode == DurabilityMode.Batched && record.Status == StepStatus.Succeeded && done is { EffectKey: null, FromLedger: false } && done.Outcome.Commit is null)
            {
                // A pure step's result: kept in memory; its dependents start now and the next commit carries it.
                _state = next;
                if (_deferred.Count == 0)
                {
                    _deferredSince = executor._time.GetTimestamp();
                }

                _deferred.Add((done, record));
                if (_deferred.Count >= _workflow.Durability.MaxResults || executor._time.GetElapsedTime(_deferredSince) >= _workflow.Durability.MaxDelay)
                {
                    await FlushAsync().ConfigureAwait(false);
                }

                return;
            }

            await CommitAsync(RunState.Running, next, StepEventsAsync, announcesCheckpoint: true, writes: writes).ConfigureAwait(false);
        }

        /// <summary>Whether the run ended with the last step recorded (<see cref="RecordAsync"/>).</summary>
        private bool Ended { get; set; }

        // The run's output if every step is done once <paramref name="next"/> is committed and nothing else (a skip, a
        // loop's progress) would need a commit first; null otherwise.
        private string? OutputIfDone(RunCheckpoint next, DateTimeOffset now)
        {
            var scanner = Scanner(next);
            var scan = scanner.Scan(now);
            return scan.AllDone && scan.Failed is null && ReferenceEquals(scan.Bookkeeping, next) ? scanner.Output() : null;
        }
    }
}
