namespace Soma.Orchestration.Workflows;

/// <summary>The checks <see cref="Build"/> runs, and the graph algorithms they need.</summary>
public sealed partial class WorkflowBuilder
{
    private const int MaxLoopIterations = 1000;

    private void CheckIds(List<string> problems)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, what) in AllIds())
        {
            if (!WorkflowIds.IsValid(id))
            {
                problems.Add($"The id of {what} does not match {WorkflowIds.Pattern} (lower-case letter first, then lower-case letters, digits, '_' or '-', at most {WorkflowIds.MaxLength} characters).");
            }

            if (!seen.TryAdd(id, what))
            {
                problems.Add($"Duplicate id '{id}': {seen[id]} and {what} (ids are unique across the workflow, loop bodies included).");
            }
        }
    }

    private IEnumerable<(string Id, string What)> AllIds()
    {
        foreach (var node in _nodes)
        {
            switch (node)
            {
                case StepDeclaration step:
                    yield return (step.Id, $"step '{step.Id}'");
                    break;
                case LoopDeclaration loop:
                    yield return (loop.Id, $"loop '{loop.Id}'");
                    foreach (var step in loop.Steps)
                    {
                        yield return (step.Id, $"step '{step.Id}' of loop '{loop.Id}'");
                    }

                    break;
            }
        }
    }

    private static void CheckLoops(List<LoopDeclaration> loops, List<string> problems)
    {
        foreach (var loop in loops)
        {
            if (loop.MaxIterations is < 1 or > MaxLoopIterations)
            {
                problems.Add($"Loop '{loop.Id}' has MaxIterations {loop.MaxIterations}; it must be between 1 and {MaxLoopIterations}.");
            }

            if (loop.Steps.Count == 0)
            {
                problems.Add($"Loop '{loop.Id}' has no steps in its body.");
            }

            if (loop.Options.HasStepOnlySettings)
            {
                // The runner has no meaning for them on a loop; silently ignoring them would surprise the author.
                problems.Add($"Loop '{loop.Id}' sets When, SideEffecting or WithPolicy; only After applies to a loop (set the others on its body steps).");
            }
        }
    }

    private void CheckPolicies(List<string> problems)
    {
        foreach (var node in _nodes)
        {
            var steps = node switch
            {
                StepDeclaration step => [step],
                LoopDeclaration loop => loop.Steps,
                _ => [],
            };
            foreach (var step in steps)
            {
                if (step.Options.Policy is { } policy && policy.MaxDelay < policy.BaseDelay)
                {
                    problems.Add($"Step '{step.Id}' has a policy whose MaxDelay ({policy.MaxDelay}) is below its BaseDelay ({policy.BaseDelay}).");
                }
            }
        }
    }

    /// <summary>Checks top-level dependencies and cycles; returns each top-level node's known dependencies.</summary>
    private Dictionary<string, IReadOnlyList<string>> CheckTopLevelDependencies(List<string> problems)
    {
        var bodyOwner = BodyOwners();
        var edges = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            edges.TryAdd(node.Id, []);
        }

        var assigned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            var id = node.Id;
            var what = node is LoopDeclaration ? $"Loop '{id}'" : $"Step '{id}'";
            var known = new List<string>();
            foreach (var dependency in node.Options.DependsOn)
            {
                if (edges.ContainsKey(dependency))
                {
                    known.Add(dependency);
                }
                else if (bodyOwner.TryGetValue(dependency, out var owner))
                {
                    problems.Add($"{what} depends on '{dependency}', which is inside loop '{owner}'; depend on the loop '{owner}' instead.");
                }
                else
                {
                    problems.Add($"{what} depends on unknown step '{dependency}'.");
                }
            }

            // A duplicate id keeps its first declaration's edges; the duplicate is reported already.
            if (assigned.Add(id))
            {
                edges[id] = known;
            }
        }

        if (FindCycle(_nodes.Select(n => n.Id).Distinct(StringComparer.Ordinal).ToList(), id => edges[id]) is { } cycle)
        {
            problems.Add($"Dependency cycle: {string.Join(" -> ", cycle)} (each depends on the next).");
        }

        return edges;
    }

    private void CheckBodyDependencies(List<LoopDeclaration> loops, Dictionary<string, IReadOnlyList<string>> topLevel, List<string> problems)
    {
        var bodyOwner = BodyOwners();
        foreach (var loop in loops)
        {
            var ancestors = Ancestors(loop.Id, topLevel);
            var siblings = loop.Steps.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var edges = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var step in loop.Steps)
            {
                var known = new List<string>();
                foreach (var dependency in step.Options.DependsOn)
                {
                    if (siblings.Contains(dependency))
                    {
                        known.Add(dependency);
                    }
                    else if (dependency == loop.Id)
                    {
                        problems.Add($"Step '{step.Id}' of loop '{loop.Id}' depends on its own loop.");
                    }
                    else if (ancestors.Contains(dependency))
                    {
                        // Done before the loop starts: fine, and no edge inside the body.
                    }
                    else if (topLevel.ContainsKey(dependency))
                    {
                        problems.Add($"Step '{step.Id}' of loop '{loop.Id}' depends on '{dependency}', which loop '{loop.Id}' does not run after; add it to the loop's After(...).");
                    }
                    else if (bodyOwner.TryGetValue(dependency, out var owner))
                    {
                        problems.Add($"Step '{step.Id}' of loop '{loop.Id}' depends on '{dependency}', which is inside loop '{owner}'; depend on the loop '{owner}' instead.");
                    }
                    else
                    {
                        problems.Add($"Step '{step.Id}' of loop '{loop.Id}' depends on unknown step '{dependency}'.");
                    }
                }

                edges.TryAdd(step.Id, known);
            }

            if (FindCycle([.. edges.Keys], id => edges[id]) is { } cycle)
            {
                problems.Add($"Dependency cycle in loop '{loop.Id}': {string.Join(" -> ", cycle)} (each depends on the next).");
            }
        }
    }

    private Dictionary<string, string> BodyOwners()
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var loop in _nodes.OfType<LoopDeclaration>())
        {
            foreach (var step in loop.Steps)
            {
                owners.TryAdd(step.Id, loop.Id);
            }
        }

        return owners;
    }

    private static HashSet<string> Ancestors(string id, Dictionary<string, IReadOnlyList<string>> edges)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(edges[id]);
        while (pending.TryPop(out var next))
        {
            if (found.Add(next))
            {
                foreach (var dependency in edges[next])
                {
                    pending.Push(dependency);
                }
            }
        }

        return found;
    }

    /// <summary>The first cycle met in declaration order, as a path that starts and ends at the same node; null if none.</summary>
    private static List<string>? FindCycle(IReadOnlyList<string> ids, Func<string, IReadOnlyList<string>> dependencies)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        var onPath = new HashSet<string>(StringComparer.Ordinal);

        List<string>? Visit(string id)
        {
            if (onPath.Contains(id))
            {
                return [.. path.Skip(path.IndexOf(id)), id];
            }

            if (!done.Add(id))
            {
                return null;
            }

            path.Add(id);
            onPath.Add(id);
            foreach (var dependency in dependencies(id))
            {
                if (Visit(dependency) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            onPath.Remove(id);
            return null;
        }

        foreach (var id in ids)
        {
            if (Visit(id) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    /// <summary>Kahn's algorithm; among nodes ready together, the one declared first goes first, so the order is stable.</summary>
    private static List<string> Order(IReadOnlyList<string> ids, Func<string, IReadOnlyList<string>> dependencies)
    {
        var index = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        var waitingOn = ids.ToDictionary(id => id, id => dependencies(id).Count, StringComparer.Ordinal);
        var dependents = ids.ToDictionary(id => id, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var id in ids)
        {
            foreach (var dependency in dependencies(id))
            {
                dependents[dependency].Add(id);
            }
        }

        var ready = new PriorityQueue<string, int>(ids.Where(id => waitingOn[id] == 0).Select(id => (id, index[id])));
        var order = new List<string>(ids.Count);
        while (ready.TryDequeue(out var id, out _))
        {
            order.Add(id);
            foreach (var dependent in dependents[id])
            {
                if (--waitingOn[dependent] == 0)
                {
                    ready.Enqueue(dependent, index[dependent]);
                }
            }
        }

        return order;
    }
}
