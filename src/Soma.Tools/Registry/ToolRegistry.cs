using System.Collections.Frozen;

namespace Soma.Tools.Registry;

/// <summary>The tools this process can run, by name.</summary>
public sealed class ToolRegistry
{
    private readonly FrozenDictionary<string, ITool> _tools;

    /// <summary>Registers <paramref name="tools"/>; two tools with one name are a configuration error.</summary>
    public ToolRegistry(IEnumerable<ITool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var byName = new Dictionary<string, ITool>(StringComparer.Ordinal);
        foreach (var tool in tools)
        {
            if (!byName.TryAdd(tool.Name, tool))
            {
                throw new InvalidOperationException($"Two tools are registered as '{tool.Name}'.");
            }
        }

        _tools = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every tool, by name.</summary>
    public IEnumerable<ITool> All => _tools.Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    /// <summary>The tool called <paramref name="name"/>.</summary>
    public bool TryGet(string name, out ITool tool) => _tools.TryGetValue(name, out tool!);
}
