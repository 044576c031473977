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
        var scan = new RunScan(_state);
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

    private void ScanStep(RunScan scan, StepDefinition step, string key, int iteration, IReadOnlyDictionary<string, JsonElement> outputs, DateTimeOffset now)
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
                scan.Ready.Add(new StepWork(key, step, iteration, (record?.Attempts ?? 0) + 1, outputs));
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

    /// <summary>The run's output: the outputs of the steps and loops nothing depends on.</summary>
    public string Output()
    {
        var output = new JsonObject();
        var dependedOn = _workflow.Steps.SelectMany(s => s.DependsOn).Concat(_workflow.Loops.SelectMany(l => l.DependsOn)).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, value) in Outputs(_workflow.TopologicalOrder.Where(n => !dependedOn.Contains(n))))
        {
            output[id] = JsonNode.Parse(value.GetRawText());
        }

        return output.ToJsonString();
    }

    private static JsonElement ToObject(Dictionary<string, JsonElement> outputs) =>
        JsonSerializer.SerializeToElement(outputs);
}
