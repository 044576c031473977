namespace Soma.Policy.Rego.Compilation;

/// <summary>How a rule contributes to its node.</summary>
internal enum RuleKind
{
    Complete,
    Set,
    Dynamic,
    Function,
}
