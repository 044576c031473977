using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

/// <summary>
/// The parts of <c>input</c> one evaluation read, in the order it first read them: a reference such as
/// <c>input.tool.name</c> reads the value at <c>["tool", "name"]</c>, <c>some r in input.roles</c> the whole
/// <c>["roles"]</c>. An evaluation is a function of the policy, its data and these values alone, unless it called a
/// builtin whose answer can change between calls (<c>time.now_ns</c>, <c>rand.intn</c>, <c>uuid.rfc4122</c>), replaced
/// part of the input (<c>with input… as</c>) or read the input whole: then <see cref="Complete"/> is false. The embedded
/// engine's decision cache keys its decisions on these reads.
/// </summary>
internal sealed class InputReads
{
    private readonly List<Value[]> _paths = [];

    /// <summary>The paths read, first read first; a path is left out when it or a shorter path above it was read already.</summary>
    public IReadOnlyList<Value[]> Paths => _paths;

    /// <summary>Whether the evaluation depended on nothing but the values at <see cref="Paths"/>.</summary>
    public bool Complete { get; private set; } = true;

    /// <summary>Notes a read of the input at <paramref name="path"/>.</summary>
    public void Read(Value[] path)
    {
        if (!Complete)
        {
            return;
        }

        if (path.Length == 0)
        {
            // The whole input (walk(input), x := input): its time and ids differ on every call, so nothing to key on.
            Complete = false;
            return;
        }

        foreach (var read in _paths)
        {
            if (path.AsSpan().StartsWith(read))
            {
                return;
            }
        }

        _paths.Add(path);
    }

    /// <summary>Marks the evaluation as depending on more than the input's values.</summary>
    public void Spoil() => Complete = false;
}
