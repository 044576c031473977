using System.Text.Json;
using System.Text.Json.Nodes;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>
/// The pure decisions of a run's execution: given the workflow, one checkpoint of the run and its input, which steps are
/// ready, skipped, failed or waiting, when the run wakes next, and the run's output. No I/O and no clock (the time is
/// given); only the workflow's own conditions run.
/// </summary>
internal sealed class RunScanner(WorkflowDefinition workflow, RunCheckpoint state, JsonElement input)
{
    private readonly WorkflowDefinition _workflow = workflow;
    private readonly RunCheckpoint _state = state;
    private readonly JsonElement _input = input;

    /// <summary>How many steps of <paramref name="state"/> are done (succeeded or skipped).</summary>
    public static int Completed(RunCheckpoint state) => state.Steps.Count(s => s.Value.Status is StepStatus.Succeeded or StepStatus.Skipped);

    /// <summary>Walks the workflow in dependency order and says what the run can do next at <paramref name="now"/>.</summary>
    public RunScan Scan(DateTimeOffset now)
    {
        // A run is scanned after each step, so a scan allocates only for the steps it finds ready (their inputs): walked by
        // index, without LINQ, and a done step's inputs never gathered. Gathering every step's inputs on every scan made
        // a run's allocations grow with the square of its steps.
        var scan = new RunScan(_state);
        var order = _workflow.TopologicalOrder;
        for (var i = 0; i < order.Count; i++)
        {
            if (_workflow.TryGetLoop(order[i], out var loop))
            {
                ScanLoop(scan, loop, now);
            }
            else if (_workflow.TryGetStep(order[i], out var step))
            {
                ScanStep(scan, step, StepKeys.For(step.Id, null, 0), null, 0, now);
            }
        }

        return scan;
    }

    private void ScanStep(RunScan scan, StepDefinition step, string key, LoopDefinition? loop, int iteration, DateTimeOffset now)
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

        for (var i = 0; i < step.DependsOn.Count; i++)
        {
            if (!IsDone(step.DependsOn[i], step.LoopId, iteration))
            {
                return;
            }
        }

        // Gathered only for a condition to ask or a step to start: a waiting or backing-off step needs none.
        Dictionary<string, JsonElement>? outputs = null;
        if (record is null && step.Condition is { } condition && !condition(new StepConditionContext(_input, outputs = InputsOf(step, loop, iteration), iteration)))
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
                scan.Ready.Add(new StepWork(key, step, iteration, (record?.Attempts ?? 0) + 1, outputs ?? InputsOf(step, loop, iteration)));
                return;
        }
    }

    private void ScanLoop(RunScan scan, LoopDefinition loop, DateTimeOffset now)
    {
        var progress = _state.Loops.TryGetValue(loop.Id, out var p) ? p : null;
        if (progress?.Completed == true)
        {
            return;
        }

        scan.AllDone = false;
        for (var i = 0; i < loop.DependsOn.Count; i++)
        {
            if (!IsDone(loop.DependsOn[i], null, 0))
            {
                return;
            }
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
            ScanStep(scan, body, StepKeys.For(body.Id, loop.Id, iteration), loop, iteration, now);
        }
    }

    // What a step about to run (or have its condition asked) is given: the outputs of what it depends on; in a loop, of
    // what the loop depends on, of the steps of the same iteration it depends on, and the previous iteration's.
    private Dictionary<string, JsonElement> InputsOf(StepDefinition step, LoopDefinition? loop, int iteration)
    {
        if (loop is null)
        {
            return Outputs(step.DependsOn);
        }

        var outputs = Outputs(loop.DependsOn);
        for (var i = 0; i < step.DependsOn.Count; i++)
        {
            if (_state.Step(StepKeys.For(step.DependsOn[i], loop.Id, iteration))?.Output is { } output)
            {
                outputs[step.DependsOn[i]] = output;
            }
        }

        if (iteration > 0)
        {
            // The previous iteration's outputs, for loops that build on them (the agent's tool loop does).
            outputs["$previous"] = ToObject(IterationOutputs(loop, iteration - 1));
        }

        return outputs;
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

    private Dictionary<string, JsonElement> Outputs(IReadOnlyList<string> nodeIds)
    {
        var outputs = new Dictionary<string, JsonElement>(nodeIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < nodeIds.Count; i++)
        {
            var id = nodeIds[i];
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

    /// <summary>The run's output: the outputs of the steps and loops nothing depends on.</summary>
    public string Output()
    {
        var output = new JsonObject();
        var dependedOn = _workflow.Steps.SelectMany(s => s.DependsOn).Concat(_workflow.Loops.SelectMany(l => l.DependsOn)).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, value) in Outputs([.. _workflow.TopologicalOrder.Where(n => !dependedOn.Contains(n))]))
        {
            output[id] = JsonNode.Parse(value.GetRawText());
        }

        return output.ToJsonString();
    }

    private static JsonElement ToObject(Dictionary<string, JsonElement> outputs) =>
        JsonSerializer.SerializeToElement(outputs);
}
