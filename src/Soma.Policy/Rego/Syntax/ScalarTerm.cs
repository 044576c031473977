using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary>A number, string, boolean or null literal.</summary>
internal sealed class ScalarTerm : Term
{
    public ScalarTerm(SourceLocation location, Value value)
        : base(location)
    {
        Value = value;
        Constant = value;
    }

    public Value Value { get; }
}
