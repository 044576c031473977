using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary><c>with target as value</c>.</summary>
internal sealed class WithModifier(SourceLocation location, Term target, Term value)
{
    public SourceLocation Location { get; } = location;

    public Term Target { get; } = target;

    public Term Value { get; } = value;

    /// <summary>Whether the target is under <c>input</c> (else under <c>data</c>).</summary>
    internal bool TargetsInput { get; set; }

    /// <summary>The target's path below its root.</summary>
    internal Value[] Path { get; set; } = [];

    /// <summary>When the target is a user function: the function replaced.</summary>
    internal DataNode? Function { get; set; }

    /// <summary>When the replacement is a user function.</summary>
    internal DataNode? ReplacementFunction { get; set; }

    /// <summary>When the target is a builtin: the builtin's name.</summary>
    internal string? Builtin { get; set; }
}
