namespace Soma.Policy.Rego.Syntax;

/// <summary>What a variable name resolved to.</summary>
internal enum VarKind
{
    Unresolved,
    Local,
    Wildcard,
    Data,
    Input,
}
