using System.Diagnostics.CodeAnalysis;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// The workflow definitions a process can run, by name and version. Several versions of a workflow live side by side:
/// a new run takes the highest, a run in progress keeps the one it started with. Safe for concurrent use.
/// </summary>
public sealed class WorkflowRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedList<int, WorkflowDefinition>> _byName = new(StringComparer.Ordinal);

    /// <summary>Every registered definition, ordered by name, then version.</summary>
    public IReadOnlyCollection<WorkflowDefinition> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _byName.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value.Values)];
            }
        }
    }

    /// <summary>Adds a definition.</summary>
    /// <exception cref="InvalidOperationException">A definition with the same name and version is registered already.</exception>
    public void Register(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (_lock)
        {
            if (!_byName.TryGetValue(definition.Name, out var versions))
            {
                versions = [];
                _byName.Add(definition.Name, versions);
            }

            if (!versions.TryAdd(definition.Version, definition))
            {
                throw new InvalidOperationException($"Workflow '{definition.Name}' v{definition.Version} is registered already; give the new definition a higher version.");
            }
        }
    }

    /// <summary>Finds a definition by name (case-sensitive) and version.</summary>
    /// <param name="name">The workflow's name.</param>
    /// <param name="version">The version, or null for the highest registered.</param>
    /// <param name="definition">The definition found.</param>
    public bool TryGet(string name, int? version, [MaybeNullWhen(false)] out WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (_byName.TryGetValue(name, out var versions) && versions.Count > 0)
            {
                if (version is null)
                {
                    definition = versions.Values[^1];
                    return true;
                }

                return versions.TryGetValue(version.Value, out definition);
            }
        }

        definition = null;
        return false;
    }
}
