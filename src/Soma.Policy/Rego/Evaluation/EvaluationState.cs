using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

/// <summary>
/// What one evaluation sees: the input, <c>with</c> overrides, and the cache of node values (a <c>with</c> forks a
/// fresh cache, since rule values may change under it).
/// </summary>
internal sealed class EvaluationState
{
    private readonly int _nodeCount;
    private Value?[]? _values;
    private byte[]? _states;

    public EvaluationState(Value? input, int nodeCount)
    {
        Input = input;
        _nodeCount = nodeCount;
    }

    // The node cache of the thread's last evaluation, kept for its next one: most decisions then allocate no cache.
    [ThreadStatic]
    private static (Value?[] Values, byte[] States)? _threadSpare;

    /// <summary>A state whose node cache comes from this thread's spare, if one of the right size is free.</summary>
    public static EvaluationState Rent(Value? input, int nodeCount)
    {
        var state = new EvaluationState(input, nodeCount);
        if (_threadSpare is { } spare && spare.Values.Length == nodeCount)
        {
            // Taken off the thread while in use, so a nested evaluation on this thread gets its own.
            _threadSpare = null;
            state._values = spare.Values;
            state._states = spare.States;
        }

        return state;
    }

    /// <summary>Hands the node cache back to the thread, cleared, once the evaluation's results are out.</summary>
    public void Return()
    {
        if (_values is { } values && _states is { } states)
        {
            Array.Clear(values);
            Array.Clear(states);
            _threadSpare = (values, states);
        }
    }

    public Value? Input { get; set; }

    // Allocated on first use: a query reading only input needs no rule cache.
    public Value?[] Values => _values ??= new Value?[_nodeCount];

    /// <summary>Per node: 0 not computed, 1 in progress, 2 done.</summary>
    public byte[] States => _states ??= new byte[_nodeCount];

    public List<(Value[] Path, Value Value)>? DataOverrides { get; private set; }

    public Dictionary<DataNode, (DataNode? Function, Value? Value)>? FunctionOverrides { get; private set; }

    public Dictionary<string, (DataNode? Function, Value? Value)>? BuiltinOverrides { get; private set; }

    public EvaluationState Fork()
    {
        var fork = new EvaluationState(Input, _nodeCount);
        if (DataOverrides is not null)
        {
            fork.DataOverrides = [.. DataOverrides];
        }

        if (FunctionOverrides is not null)
        {
            fork.FunctionOverrides = new(FunctionOverrides);
        }

        if (BuiltinOverrides is not null)
        {
            fork.BuiltinOverrides = new(BuiltinOverrides, StringComparer.Ordinal);
        }

        return fork;
    }

    public void OverrideData(Value[] path, Value value) => (DataOverrides ??= []).Add((path, value));

    public void OverrideFunction(DataNode node, DataNode? function, Value? value) => (FunctionOverrides ??= [])[node] = (function, value);

    public void OverrideBuiltin(string name, DataNode? function, Value? value) => (BuiltinOverrides ??= new(StringComparer.Ordinal))[name] = (function, value);
}
