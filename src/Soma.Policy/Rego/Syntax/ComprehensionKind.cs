namespace Soma.Policy.Rego.Syntax;

/// <summary>Which collection a comprehension builds.</summary>
internal enum ComprehensionKind
{
    Array,
    Set,
    Object,
}
