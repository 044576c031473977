using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego;

/// <summary>A parsed query or rule body: literals evaluated in conjunction.</summary>
public sealed class Query
{
    internal Query(SourceLocation location, IReadOnlyList<Literal> literals)
    {
        Location = location;
        Literals = literals;
        Ordered = [.. literals];
    }

    /// <summary>Where the query starts.</summary>
    public SourceLocation Location { get; }

    internal IReadOnlyList<Literal> Literals { get; }

    /// <summary>The literals in evaluation order (the compiler moves a literal after those binding its variables).</summary>
    internal Literal[] Ordered { get; set; }
}
