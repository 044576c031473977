using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Executes one leased run until it ends, waits, backs off for long, or loses its lease. Steps run in dependency order,
/// independent ones concurrently; every result is committed as a new checkpoint version (compare-and-swap on the run
/// version, fenced by the lease) before any step that depends on it starts. A side-effecting step's result is written
/// to the effects ledger in the same transaction, so a retry or a resume never runs the effect again. A workflow with
/// <see cref="DurabilityMode.Batched"/> durability keeps its pure steps' results in memory and commits them together
/// (see <see cref="WorkflowDurability"/>).
/// </summary>
public sealed partial class RunExecutor(
    IStore store,
    IRunStore runs,
    ICheckpointStore checkpoints,
    IEffectsLedger effects,
    IOutbox outbox,
    Contracts.Identity.IIdGenerator ids,
    WorkflowRegistry workflows,
    TimeProvider time,
    IOptions<OrchestrationOptions> options,
    ILogger<RunExecutor> logger,
    Export.RunGraphExporter? exporter = null,
    IEnumerable<IRunEventObserver>? observers = null,
    GroupCommitter? committer = null)
{
    private readonly IRunStore _runs = runs;
    private readonly ICheckpointStore _checkpoints = checkpoints;
    private readonly IEffectsLedger _effects = effects;
    private readonly WorkflowRegistry _workflows = workflows;
    private readonly TimeProvider _time = time;
    private readonly OrchestrationOptions _options = options.Value;
    private readonly ILogger _logger = logger;
    private readonly Export.RunGraphExporter? _exporter = exporter;
    /// <summary>The activity source of runs and steps.</summary>
    public static readonly ActivitySource ActivitySource = Core.Telemetry.SomaActivitySources.Orchestration;

    private readonly RunEvents _events = new(outbox, ids, time, observers);
    private readonly GroupCommitter _committer = committer ?? new(store);

    /// <summary>Runs <paramref name="leased"/> (leased to <paramref name="owner"/>) as far as it can go now.</summary>
    public async Task ExecuteAsync(RunRecord leased, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        // The run continues the trace of the request that started it, in this process or another (the run row keeps its traceparent).
        using var activity = ActivitySource.StartActivity($"run {leased.Workflow}", ActivityKind.Internal, Core.Telemetry.SomaActivitySources.ParentFrom(leased.TraceParent));
        activity?.SetTag("soma.run_id", leased.Id);
        activity?.SetTag("soma.workflow", leased.Workflow);
        activity?.SetTag("soma.tenant", leased.TenantId);
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lease = TimeSpan.FromSeconds(_options.LeaseSeconds);
        var renewal = RenewAsync(leased, owner, lease, leaseLost);
        try
        {
            var execution = new Execution(this, leased, owner, leaseLost.Token);
            await execution.RunAsync().ConfigureAwait(false);
        }
        catch (RunFencedException ex)
        {
            Log.Fenced(_logger, leased.Id, ex.Message);
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.Fenced(_logger, leased.Id, "the lease could not be renewed");
        }
        finally
        {
            await leaseLost.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }
    }

    private async Task RenewAsync(RunRecord run, string owner, TimeSpan lease, CancellationTokenSource leaseLost)
    {
        try
        {
            while (true)
            {
                // Every run's end cancels this wait: no exception for it (one per run costs more than the wait).
                await Task.Delay(lease / 3, _time, leaseLost.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (leaseLost.IsCancellationRequested)
                {
                    return;
                }

                if (!await _runs.RenewLeaseAsync(owner, run.TenantId, run.Id, lease, leaseLost.Token).ConfigureAwait(false))
                {
                    // Someone else holds the run now (or it was cancelled): stop the steps, commit nothing more.
                    await leaseLost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (StoreException ex)
        {
            Log.RenewFailed(_logger, run.Id, ex.Message);
            await leaseLost.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The state of one execution of one run.</summary>
    private sealed class Execution(RunExecutor executor, RunRecord run, string owner, CancellationToken cancellationToken)
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
            if (await executor._checkpoints.GetLatestAsync(_run.TenantId, _run.Id, cancellationToken).ConfigureAwait(false) is { } latest)
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
                var scan = Scan(executor._time.GetUtcNow());
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
                    if (_deferred.Count > 0 && scan.Ready.Any(w => w.Step.HasSideEffects && !_inFlight.ContainsKey(w.Key)))
                    {
                        // A side-effecting step starts only from committed inputs: a crash must not re-run what fed it.
                        await FlushAsync().ConfigureAwait(false);
                        continue;
                    }

                    var starting = scan.Ready.Where(w => !_inFlight.ContainsKey(w.Key)).ToList();
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

        // The next step to finish, or null when the deferred results' time is up first.
        private async Task<Task<StepCompletion>?> WhenAnyOrFlushDueAsync()
        {
            var left = _workflow.Durability.MaxDelay - executor._time.GetElapsedTime(_deferredSince);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            using var timer = new CancellationTokenSource();
            var due = Task.Delay(left, executor._time, timer.Token);
            var first = await Task.WhenAny([.. _inFlight.Values, due]).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            return first == due ? null : (Task<StepCompletion>)first;
        }

        // Commits the deferred results (with the events of their steps) as one checkpoint.
        private Task FlushAsync() => CommitAsync(RunState.Running, _state, null);

        private Scan Scan(DateTimeOffset now)
        {
            var scan = new Scan(_state);
            foreach (var nodeId in _workflow.TopologicalOrder)
            {
                if (_workflow.TryGetLoop(nodeId, out var loop))
                {
                    ScanLoop(scan, loop, now);
                }
                else if (_workflow.TryGetStep(nodeId, out var step))
                {
                    ScanStep(scan, step, StepKeys.For(step.Id, null, 0), 0, Outputs(step.DependsOn), now);
                }
            }

            return scan;
        }

        private void ScanStep(Scan scan, StepDefinition step, string key, int iteration, IReadOnlyDictionary<string, JsonElement> outputs, DateTimeOffset now)
        {
            var record = _state.Step(key);
            if (record?.Status is StepStatus.Succeeded or StepStatus.Skipped)
            {
                return;
            }

            scan.AllDone = false;
            if (record?.Status == StepStatus.Failed)
            {
                scan.Failed ??= key;
                return;
            }

            if (!step.DependsOn.All(d => IsDone(d, step.LoopId, iteration)))
            {
                return;
            }

            if (record is null && step.Condition is { } condition && !condition(new StepConditionContext(_input, outputs, iteration)))
            {
                scan.Bookkeeping = scan.Bookkeeping.WithStep(key, new StepRecord { Status = StepStatus.Skipped, EndedAt = now });
                scan.AnySkipped = true;
                return;
            }

            switch (record?.Status)
            {
                case StepStatus.Waiting when !_state.ResumeInputs.ContainsKey(key):
                    scan.Waiting ??= record.WaitingFor;
                    return;
                case StepStatus.Retrying when record.NextAttemptAt > now:
                    scan.NextWake = scan.NextWake is { } wake && wake < record.NextAttemptAt ? wake : record.NextAttemptAt;
                    return;
                default:
                    scan.Ready.Add(new Work(key, step, iteration, (record?.Attempts ?? 0) + 1, outputs));
                    return;
            }
        }

        private void ScanLoop(Scan scan, LoopDefinition loop, DateTimeOffset now)
        {
            var progress = _state.Loops.TryGetValue(loop.Id, out var p) ? p : null;
            if (progress?.Completed == true)
            {
                return;
            }

            scan.AllDone = false;
            if (!loop.DependsOn.All(d => IsDone(d, null, 0)))
            {
                return;
            }

            var iteration = progress?.Iteration ?? 0;
            var keys = loop.Body.Select(b => StepKeys.For(b.Id, loop.Id, iteration)).ToList();
            if (keys.All(k => _state.Step(k)?.Status is StepStatus.Succeeded or StepStatus.Skipped))
            {
                var outputs = IterationOutputs(loop, iteration);
                var again = iteration + 1 < loop.MaxIterations && loop.ContinueWhile(new StepConditionContext(_input, outputs, iteration));
                scan.Bookkeeping = scan.Bookkeeping with
                {
                    Loops = scan.Bookkeeping.Loops.SetItem(loop.Id, again ? new LoopRecord(iteration + 1, false) : new LoopRecord(iteration, true)),
                };
                return;
            }

            foreach (var body in loop.Body)
            {
                var outputs = new Dictionary<string, JsonElement>(Outputs(loop.DependsOn), StringComparer.Ordinal);
                foreach (var dep in body.DependsOn)
                {
                    if (_state.Step(StepKeys.For(dep, loop.Id, iteration))?.Output is { } output)
                    {
                        outputs[dep] = output;
                    }
                }

                if (iteration > 0)
                {
                    // The previous iteration's outputs, for loops that build on them (the agent's tool loop does).
                    outputs["$previous"] = ToObject(IterationOutputs(loop, iteration - 1));
                }

                ScanStep(scan, body, StepKeys.For(body.Id, loop.Id, iteration), iteration, outputs, now);
            }
        }

        private bool IsDone(string nodeId, string? loopId, int iteration)
        {
            if (_workflow.TryGetLoop(nodeId, out _))
            {
                return _state.Loops.TryGetValue(nodeId, out var progress) && progress.Completed;
            }

            var key = StepKeys.For(nodeId, loopId, iteration);
            return _state.Step(key)?.Status is StepStatus.Succeeded or StepStatus.Skipped;
        }

        private Dictionary<string, JsonElement> Outputs(IEnumerable<string> nodeIds)
        {
            var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var id in nodeIds)
            {
                if (_workflow.TryGetLoop(id, out var loop))
                {
                    if (_state.Loops.TryGetValue(id, out var progress))
                    {
                        outputs[id] = ToObject(IterationOutputs(loop, progress.Iteration));
                    }
                }
                else if (_state.Step(StepKeys.For(id, null, 0))?.Output is { } output)
                {
                    outputs[id] = output;
                }
            }

            return outputs;
        }

        private Dictionary<string, JsonElement> IterationOutputs(LoopDefinition loop, int iteration)
        {
            var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var body in loop.Body)
            {
                if (_state.Step(StepKeys.For(body.Id, loop.Id, iteration))?.Output is { } output)
                {
                    outputs[body.Id] = output;
                }
            }

            return outputs;
        }

        private async Task<StepCompletion> ExecuteStepAsync(Work work)
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
                    executor._time.GetUtcNow(), StableRandom.For(_run.Id, work.Key, work.Attempt),
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
            async Task AlongsideAsync(IStoreTransaction tx, RunRecord r)
            {
                if (done is { EffectKey: { } key, FromLedger: false } && record.Status == StepStatus.Succeeded)
                {
                    await executor._effects.RecordAsync(tx, new EffectRecord(r.TenantId, r.Id, key, record.Output!.Value.GetRawText(), now), cancellationToken).ConfigureAwait(false);
                }

                await AppendStepEventsAsync(tx, r, done, record, next).ConfigureAwait(false);
                if (done.Outcome.Commit is { } commit)
                {
                    await commit(new StepCommitContext(tx, r, executor._events.SinkFor(tx, r, cancellationToken), cancellationToken)).ConfigureAwait(false);
                }
            }

            // The run's last step: its result and the run's end go in one commit (one fsync fewer per run).
            if (record.Status == StepStatus.Succeeded && _inFlight.Count == 0 && OutputIfDone(next, now) is { } output)
            {
                var duration = (now - _run.CreatedAt).TotalMilliseconds;
                await CommitAsync(RunState.Succeeded, next, async (tx, r) =>
                {
                    await AlongsideAsync(tx, r).ConfigureAwait(false);
                    await executor._events.AppendAsync(tx, r, new RunSucceeded(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, duration, JsonElement.Parse(output)), cancellationToken).ConfigureAwait(false);
                }, output: output, release: true, announcesCheckpoint: true).ConfigureAwait(false);
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

            await CommitAsync(RunState.Running, next, AlongsideAsync, announcesCheckpoint: true).ConfigureAwait(false);
        }

        /// <summary>Whether the run ended with the last step recorded (<see cref="RecordAsync"/>).</summary>
        private bool Ended { get; set; }

        // The run's output if every step is done once <paramref name="next"/> is committed and nothing else (a skip, a
        // loop's progress) would need a commit first; null otherwise. The scan reads the state, so it reads next here.
        private string? OutputIfDone(RunCheckpoint next, DateTimeOffset now)
        {
            var current = _state;
            _state = next;
            try
            {
                var scan = Scan(now);
                return scan.AllDone && scan.Failed is null && ReferenceEquals(scan.Bookkeeping, next) ? Output() : null;
            }
            finally
            {
                _state = current;
            }
        }

        private async Task AppendStepEventsAsync(IStoreTransaction tx, RunRecord r, StepCompletion done, StepRecord record, RunCheckpoint committed)
        {
            await AppendStepResultAsync(tx, r, done, record).ConfigureAwait(false);
            await AppendCheckpointedAsync(tx, r, committed).ConfigureAwait(false);
        }

        private Task AppendCheckpointedAsync(IStoreTransaction tx, RunRecord r, RunCheckpoint committed) =>
            executor._events.AppendAsync(tx, r, new RunCheckpointed(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, Completed(committed)), cancellationToken);

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
        private Task AppendSkippedAsync(IStoreTransaction tx, RunRecord r, Scan scan) =>
            scan.AnySkipped
                ? executor._events.AppendAsync(tx, r, new RunCheckpointed(r.Version, RunEvents.Workflow(r), r.CheckpointVersion, Completed(scan.Bookkeeping)), cancellationToken)
                : Task.CompletedTask;

        private static int Completed(RunCheckpoint state) => state.Steps.Count(s => s.Value.Status is StepStatus.Succeeded or StepStatus.Skipped);

        // The run's output: the outputs of the steps and loops nothing depends on.
        private string Output()
        {
            var output = new JsonObject();
            var dependedOn = _workflow.Steps.SelectMany(s => s.DependsOn).Concat(_workflow.Loops.SelectMany(l => l.DependsOn)).ToHashSet(StringComparer.Ordinal);
            foreach (var (id, value) in Outputs(_workflow.TopologicalOrder.Where(n => !dependedOn.Contains(n))))
            {
                output[id] = JsonNode.Parse(value.GetRawText());
            }

            return output.ToJsonString();
        }

        private async Task SucceedRunAsync()
        {
            var json = Output();
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

        // Commits the run's next state; deferred results (batched durability) go in the same commit, with their steps'
        // events and, unless the caller's events announce the checkpoint (announcesCheckpoint), a RunCheckpointed.
        private async Task CommitAsync(
            RunState state, RunCheckpoint? next, Func<IStoreTransaction, RunRecord, Task>? alongside,
            string? output = null, string? error = null, string? waitingFor = null, DateTimeOffset? wakeAt = null, bool release = false, bool announcesCheckpoint = false)
        {
            var startPending = _startPending;
            var deferred = _deferred.ToArray();
            if (deferred.Length > 0)
            {
                next ??= _state;
            }

            var checkpoint = next is null ? null : new CheckpointData(CheckpointFormat.Current, CheckpointFormat.Write(next));
            var committed = await executor._committer.RunAsync(async (transaction, token) =>
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
                }, token).ConfigureAwait(false);
                if (!result.Committed)
                {
                    return null;
                }

                var changed = _run with { State = state, Version = result.Version, CheckpointVersion = result.CheckpointVersion };
                if (startPending)
                {
                    await executor._events.AppendAsync(transaction, changed, new RunStarted(changed.Version, RunEvents.Workflow(changed), owner), cancellationToken).ConfigureAwait(false);
                }

                foreach (var (done, record) in deferred)
                {
                    await AppendStepResultAsync(transaction, changed, done, record).ConfigureAwait(false);
                }

                if (alongside is not null)
                {
                    await alongside(transaction, changed).ConfigureAwait(false);
                }

                if (deferred.Length > 0 && !announcesCheckpoint)
                {
                    await AppendCheckpointedAsync(transaction, changed, next!).ConfigureAwait(false);
                }

                return changed;
            }, cancellationToken).ConfigureAwait(false);

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

        private static long? OutputBytes(JsonElement? output) => output is { } o ? System.Text.Encoding.UTF8.GetByteCount(o.GetRawText()) : null;

        private static JsonElement ToObject(Dictionary<string, JsonElement> outputs) =>
            JsonSerializer.SerializeToElement(outputs);
    }

    private sealed record Work(string Key, StepDefinition Step, int Iteration, int Attempt, IReadOnlyDictionary<string, JsonElement> Outputs)
    {
        public long StartCheckpointVersion { get; init; }
    }

    private sealed class Scan(RunCheckpoint state)
    {
        public RunCheckpoint Bookkeeping { get; set; } = state;

        public bool AnySkipped { get; set; }

        public List<Work> Ready { get; } = [];

        public bool AllDone { get; set; } = true;

        public string? Failed { get; set; }

        public string? Waiting { get; set; }

        public DateTimeOffset? NextWake { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RunExecutorFenced, Level = LogLevel.Information, Message = "Run {RunId} stopped on this worker: {Reason}")]
        public static partial void Fenced(ILogger logger, Guid runId, string reason);

        [LoggerMessage(EventId = LogEvents.RunExecutorRenewFailed, Level = LogLevel.Warning, Message = "Could not renew the lease of run {RunId}: {Reason}")]
        public static partial void RenewFailed(ILogger logger, Guid runId, string reason);

        [LoggerMessage(EventId = LogEvents.RunExecutorStepThrew, Level = LogLevel.Warning, Message = "Step {Step} of run {RunId} threw")]
        public static partial void StepThrew(ILogger logger, Exception exception, Guid runId, string step);

        [LoggerMessage(EventId = LogEvents.RunExecutorRunEnded, Level = LogLevel.Information, Message = "Run {RunId} {Outcome}")]
        public static partial void RunEnded(ILogger logger, Guid runId, string outcome);
    }
}
