namespace Soma.Policy.Rego.Compilation;

/// <summary>A body's variables (a rule body, comprehension or <c>every</c>), nested in the enclosing body's scope.</summary>
internal sealed class Scope(Scope? parent)
{
    public Scope? Parent { get; } = parent;

    public Dictionary<string, int> Variables { get; } = new(StringComparer.Ordinal);

    public HashSet<int> Slots { get; } = [];

    public int? Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope.Variables.TryGetValue(name, out var slot))
            {
                return slot;
            }
        }

        return null;
    }
}
