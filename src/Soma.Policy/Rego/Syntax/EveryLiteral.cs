namespace Soma.Policy.Rego.Syntax;

/// <summary><c>every key, value in domain { body }</c>.</summary>
internal sealed class EveryLiteral(SourceLocation location, VarTerm? key, VarTerm value, Term domain, Query body) : Literal(location)
{
    public VarTerm? Key { get; } = key;

    public VarTerm Value { get; } = value;

    public Term Domain { get; } = domain;

    public Query Body { get; } = body;
}
