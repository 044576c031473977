using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

public sealed partial class RunExecutor
{
    /// <summary>The state of one execution of one run, and its loop: scan, start the ready steps, record what finishes.</summary>
    private sealed partial class Execution(RunExecutor executor, RunRecord run, string owner, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, Task<StepCompletion>> _inFlight = new(StringComparer.Ordinal);

        // Batched durability: pure steps' results applied to _state but not committed yet, and when the first came.
        private readonly List<(StepCompletion Done, StepRecord Record)> _deferred = [];
        private long _deferredSince;
        private bool _startPending;
        private WorkflowDefinition _workflow = null!;
        private RunRecord _run = run;
        private RunCheckpoint _state = RunCheckpoint.Empty;
        private JsonElement _input;

        public async Task RunAsync()
        {
            if (!executor._workflows.TryGet(_run.Workflow, _run.WorkflowVersion, out var workflow))
            {
                await FailRunAsync(new StepError("workflow.unknown", $"Workflow {_run.Workflow} v{_run.WorkflowVersion} is not registered in this worker.", false)).ConfigureAwait(false);
                return;
            }

            _workflow = workflow;
            _input = JsonElement.Parse(_run.Input);
            // A run without a checkpoint yet (version 0: just accepted) has none to read.
            if (_run.CheckpointVersion > 0 && await executor._checkpoints.GetLatestAsync(_run.TenantId, _run.Id, cancellationToken).ConfigureAwait(false) is { } latest)
            {
                _state = CheckpointFormat.Read(latest.FormatVersion, latest.State);
            }

            if (_run.State == RunState.Accepted)
            {
                // The start goes with the next commit: its own, or in batched durability the run's first (its lease
                // already keeps other workers off).
                _startPending = true;
                if (_workflow.Durability.Mode != DurabilityMode.Batched)
                {
                    await CommitAsync(RunState.Running, null, null).ConfigureAwait(false);
                }
            }

            try
            {
                await LoopAsync().ConfigureAwait(false);
            }
            finally
            {
                // Whatever ends the loop (fencing, shutdown), let running steps observe cancellation and finish.
                if (_inFlight.Count > 0)
                {
                    await Task.WhenAll(_inFlight.Values.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default))).ConfigureAwait(false);
                }
            }
        }

        private async Task LoopAsync()
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var scan = Scanner(_state).Scan(executor._time.GetUtcNow());
                if (scan.Bookkeeping != _state)
                {
                    await CommitAsync(RunState.Running, scan.Bookkeeping, (tx, r) => AppendSkippedAsync(tx, r, scan), announcesCheckpoint: scan.AnySkipped).ConfigureAwait(false);
                    continue;
                }

                if (scan.Failed is { } failed && _inFlight.Count == 0)
                {
                    await FailRunAsync(_state.Step(failed)!.Error ?? new StepError("step.failed", $"Step {failed} failed.", false)).ConfigureAwait(false);
                    return;
                }

                if (scan.AllDone && _inFlight.Count == 0)
                {
                    await SucceedRunAsync().ConfigureAwait(false);
                    return;
                }

                if (scan.Failed is null)
                {
                    if (_deferred.Count > 0 && SideEffectReady(scan))
                    {
                        // A side-effecting step starts only from committed inputs: a crash must not re-run what fed it.
                        await FlushAsync().ConfigureAwait(false);
                        continue;
                    }

                    // The steps ready and not running yet (scan.Ready keeps them, the others dropped in place).
                    var starting = scan.Ready;
                    if (_inFlight.Count > 0)
                    {
                        starting.RemoveAll(w => _inFlight.ContainsKey(w.Key));
                    }

                    var alone = starting.Count == 1 && _inFlight.Count == 0;
                    foreach (var work in starting)
                    {
                        var launched = work with { StartCheckpointVersion = _run.CheckpointVersion };

                        // The only step to run starts on this thread, which would only wait for it (a hop to the
                        // thread pool per step costs more than a trivial step); steps side by side each get a thread.
                        _inFlight[work.Key] = alone ? ExecuteStepAsync(launched) : Task.Run(() => ExecuteStepAsync(launched), CancellationToken.None);
                    }
                }

                if (_inFlight.Count == 0)
                {
                    if (scan.Waiting is { } waiting)
                    {
                        await CommitAsync(RunState.Waiting, null, (tx, r) => executor._events.AppendAsync(tx, r, new RunWaiting(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, waiting), cancellationToken),
                            waitingFor: waiting, release: true).ConfigureAwait(false);
                        return;
                    }

                    if (scan.NextWake is { } wake)
                    {
                        var delay = wake - executor._time.GetUtcNow();
                        if (delay > TimeSpan.FromSeconds(executor._options.LeaseSeconds) / 2)
                        {
                            // A long backoff: give the run back; a worker picks it up when it is due.
                            await CommitAsync(RunState.Running, null, null, wakeAt: wake, release: true).ConfigureAwait(false);
                            return;
                        }

                        if (delay > TimeSpan.Zero)
                        {
                            await Task.Delay(delay, executor._time, cancellationToken).ConfigureAwait(false);
                        }

                        continue;
                    }

                    await FailRunAsync(new StepError("run.stuck", "No step can run and none is waiting: the workflow cannot make progress.", false)).ConfigureAwait(false);
                    return;
                }

                var finished = _deferred.Count == 0
                    ? await Task.WhenAny(_inFlight.Values).ConfigureAwait(false)
                    : await WhenAnyOrFlushDueAsync().ConfigureAwait(false);
                if (finished is null)
                {
                    await FlushAsync().ConfigureAwait(false);
                    continue;
                }

                var completion = await finished.ConfigureAwait(false);
                _inFlight.Remove(completion.Key);
                await RecordAsync(completion).ConfigureAwait(false);
                if (Ended)
                {
                    return;
                }
            }
        }

        private bool SideEffectReady(RunScan scan)
        {
            foreach (var work in scan.Ready)
            {
                if (work.Step.HasSideEffects && !_inFlight.ContainsKey(work.Key))
                {
                    return true;
                }
            }

            return false;
        }

        // The next step to finish, or null when the deferred results' time is up first.
        private async Task<Task<StepCompletion>?> WhenAnyOrFlushDueAsync()
        {
            var left = _workflow.Durability.MaxDelay - executor._time.GetElapsedTime(_deferredSince);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            // A step that already finished (the one step run on this thread) needs no timer: arming and cancelling one
            // per step, with CancelAsync's hop to the thread pool, was about a fourth of a batched single run's CPU.
            foreach (var inFlight in _inFlight.Values)
            {
                if (inFlight.IsCompleted)
                {
                    return inFlight;
                }
            }

            using var timer = new CancellationTokenSource();
            var due = Task.Delay(left, executor._time, timer.Token);
            var first = await Task.WhenAny([.. _inFlight.Values, due]).ConfigureAwait(false);
            timer.Cancel();
            return first == due ? null : (Task<StepCompletion>)first;
        }

        // Commits the deferred results (with the events of their steps) as one checkpoint.
        private Task FlushAsync() => CommitAsync(RunState.Running, _state, null);

        private RunScanner Scanner(RunCheckpoint state) => new(_workflow, state, _input);

        private async Task SucceedRunAsync()
        {
            var json = Scanner(_state).Output();
            var duration = (executor._time.GetUtcNow() - _run.CreatedAt).TotalMilliseconds;
            await CommitAsync(RunState.Succeeded, null, (tx, r) =>
                executor._events.AppendAsync(tx, r, new RunSucceeded(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, duration, JsonElement.Parse(json)), cancellationToken),
                output: json, release: true).ConfigureAwait(false);
            Log.RunEnded(executor._logger, _run.Id, "succeeded");
        }

        private async Task FailRunAsync(StepError error)
        {
            var duration = (executor._time.GetUtcNow() - _run.CreatedAt).TotalMilliseconds;
            var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["code"] = error.Code, ["message"] = error.Message, ["retryable"] = error.Retryable });
            await CommitAsync(RunState.Failed, null, (tx, r) =>
                executor._events.AppendAsync(tx, r, new RunFailed(r.Version, RunEvents.Workflow(r), duration, ToEventError(error), r.CheckpointVersion), cancellationToken),
                error: json, release: true).ConfigureAwait(false);
            Log.RunEnded(executor._logger, _run.Id, "failed");
        }
    }
}
