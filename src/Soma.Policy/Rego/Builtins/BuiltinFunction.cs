using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

/// <summary>
/// A builtin's body: given its arguments (already evaluated), returns a value, or C# null for undefined. A wrong
/// argument type or value throws <see cref="RegoException"/> with OPA's wording where there is one
/// (e.g. <c>`bits.lsh` expects numeric argument. Got `"str"` instead</c>).
/// </summary>
public delegate Value? BuiltinFunction(BuiltinContext context, ReadOnlySpan<Value> arguments);
