using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

/// <summary>
/// What a builtin may see beyond its arguments, fixed for one evaluation: the time (<c>time.now_ns</c> returns the
/// same value throughout an evaluation, as in OPA), a cache for nondeterministic builtins (<c>uuid.rfc4122("a")</c>
/// and <c>rand.intn("a", 10)</c> return the same value for the same arguments within an evaluation), where
/// <c>print</c> writes, and cancellation.
/// </summary>
public sealed class BuiltinContext
{
    private Dictionary<(string, Value), Value>? _memo;

    /// <summary>A context at <paramref name="now"/>.</summary>
    public BuiltinContext(DateTimeOffset now, Action<string>? print = null, CancellationToken cancellationToken = default)
    {
        Now = now;
        Print = print ?? (_ => { });
        CancellationToken = cancellationToken;
    }

    /// <summary>The evaluation's time.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>Where <c>print</c> writes a line.</summary>
    public Action<string> Print { get; }

    /// <summary>Cancels a long evaluation.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Returns the value remembered for (<paramref name="builtin"/>, <paramref name="key"/>) in this
    /// evaluation, computing it once.</summary>
    public Value Memo(string builtin, Value key, Func<Value> compute)
    {
        _memo ??= [];
        if (!_memo.TryGetValue((builtin, key), out var value))
        {
            value = compute();
            _memo[(builtin, key)] = value;
        }

        return value;
    }
}
