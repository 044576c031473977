using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary>An expression or term of the language.</summary>
internal abstract class Term(SourceLocation location)
{
    public SourceLocation Location { get; } = location;

    /// <summary>The value of a term without variables, references or calls; set by the compiler so evaluation skips it.</summary>
    internal Value? Constant { get; set; }
}
