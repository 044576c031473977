namespace Soma.Policy.Rego.Syntax;

/// <summary>How a rule head gives its value.</summary>
internal enum AssignKind
{
    None,
    Unify,
    Assign,
}
