namespace Soma.Policy.Rego.Builtins;

/// <summary>A registered builtin.</summary>
/// <param name="Name">The dotted name, e.g. <c>strings.replace_n</c>.</param>
/// <param name="Arity">How many arguments it takes; -1 for any number (<c>print</c>).</param>
/// <param name="Function">The body.</param>
/// <param name="IsNondeterministic">Whether two calls with the same arguments may differ (<c>time.now_ns</c>,
/// <c>uuid.rfc4122</c>, <c>rand.intn</c>): their results are fixed per evaluation through <see cref="BuiltinContext"/>.</param>
public sealed record Builtin(string Name, int Arity, BuiltinFunction Function, bool IsNondeterministic = false);
