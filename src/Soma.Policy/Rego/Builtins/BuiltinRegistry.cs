using System.Collections.Frozen;

namespace Soma.Policy.Rego.Builtins;

/// <summary>
/// The builtins a policy may call, by dotted name. <see cref="Default"/> holds every builtin this engine ships; the
/// compiler resolves calls against a registry once, so an unknown function or a wrong argument count is a compile error.
/// </summary>
public sealed class BuiltinRegistry
{
    private readonly FrozenDictionary<string, Builtin> _builtins;

    /// <summary>A registry of the given builtins.</summary>
    public BuiltinRegistry(IEnumerable<Builtin> builtins) =>
        _builtins = builtins.ToFrozenDictionary(b => b.Name, StringComparer.Ordinal);

    /// <summary>Every builtin this engine ships.</summary>
    public static BuiltinRegistry Default { get; } = new(StandardLibrary.All());

    /// <summary>The registered names.</summary>
    public IEnumerable<string> Names => _builtins.Keys;

    /// <summary>Finds a builtin by its dotted name.</summary>
    public bool TryGet(string name, out Builtin builtin) => _builtins.TryGetValue(name, out builtin!);
}
