using System.Collections.Frozen;

namespace Soma.Tools.Registry;

/// <summary>
/// The tools this process can run, by name: the tools registered at start, plus those of every <see cref="IToolSource"/>
/// (MCP servers) as they are now. A source's tool never replaces a registered one of the same name.
/// </summary>
public sealed class ToolRegistry
{
    private readonly FrozenDictionary<string, ITool> _static;
    private readonly IToolSource[] _sources;
    private readonly Lock _gate = new();
    private FrozenDictionary<string, ITool> _tools;

    /// <summary>Registers <paramref name="tools"/>; two tools with one name are a configuration error.</summary>
    public ToolRegistry(IEnumerable<ITool> tools)
        : this(tools, [])
    {
    }

    /// <summary>Registers <paramref name="tools"/> and follows <paramref name="sources"/>; two registered tools with one name are a configuration error.</summary>
    public ToolRegistry(IEnumerable<ITool> tools, IEnumerable<IToolSource> sources)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(sources);
        var byName = new Dictionary<string, ITool>(StringComparer.Ordinal);
        foreach (var tool in tools)
        {
            if (!byName.TryAdd(tool.Name, tool))
            {
                throw new InvalidOperationException($"Two tools are registered as '{tool.Name}'.");
            }
        }

        _static = byName.ToFrozenDictionary(StringComparer.Ordinal);
        _sources = [.. sources];
        _tools = _static;
        foreach (var source in _sources)
        {
            source.Changed += (_, _) => Rebuild();
        }

        Rebuild();
    }

    /// <summary>Every tool, by name.</summary>
    public IEnumerable<ITool> All => Volatile.Read(ref _tools).Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    /// <summary>The tool called <paramref name="name"/>.</summary>
    public bool TryGet(string name, out ITool tool) => Volatile.Read(ref _tools).TryGetValue(name, out tool!);

    // Lookups are on every tool call and model turn; changes are rare (a server connects or crashes), so the merged
    // map is rebuilt on change and read without a lock.
    private void Rebuild()
    {
        lock (_gate)
        {
            if (_sources.Length == 0)
            {
                return;
            }

            var merged = new Dictionary<string, ITool>(_static, StringComparer.Ordinal);
            foreach (var source in _sources)
            {
                foreach (var tool in source.Tools)
                {
                    merged.TryAdd(tool.Name, tool);
                }
            }

            Volatile.Write(ref _tools, merged.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }
}
