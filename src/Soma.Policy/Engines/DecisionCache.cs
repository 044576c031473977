using System.Collections.Concurrent;
using Soma.Core.Policy;
using Soma.Policy.Rego.Evaluation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Engines;

/// <summary>
/// The embedded engine's decisions of one query under one bundle, kept by what each evaluation read of its input
/// (<see cref="InputReads"/>). An evaluation that reads the same values decides the same, so a call whose input agrees
/// with an earlier one at every place that one read gets the earlier decision without evaluating. The shipped policy
/// reads the caller's roles and the tool's name (and a tool's arguments only when <c>roles.yaml</c> has rules for
/// them), so the calls of one tool by callers with the same roles share one entry, whatever their session, run or time.
/// <para>
/// The entries form a tree. A node names the path the evaluation read next; its children are the values found there.
/// Since evaluation is deterministic, inputs that agree on the values read so far make the same next read, so one
/// walk from the root finds the decision or misses. Evaluations that used a builtin whose answer changes between calls,
/// replaced part of the input or read it whole are not kept. A new bundle starts a new cache; one grown past its
/// capacity is dropped whole.
/// </para>
/// </summary>
internal sealed class DecisionCache(int capacity)
{
    private Node _root = new();
    private int _count;

    /// <summary>How many nodes the cache holds now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The decision of an earlier evaluation that read what <paramref name="input"/> holds, or null.</summary>
    public PolicyDecision? Find(PolicyInput input)
    {
        var node = Volatile.Read(ref _root);
        Value? document = null;
        while (true)
        {
            if (node.Decision is { } decision)
            {
                return decision;
            }

            if (node.Path is not { } path)
            {
                return null;
            }

            var value = PolicyInputValue.At(input, path, ref document);
            var next = value is null ? node.Undefined : node.Children.GetValueOrDefault(value);
            if (next is null)
            {
                return null;
            }

            node = next;
        }
    }

    /// <summary>Keeps <paramref name="decision"/>, evaluated on <paramref name="document"/> with <paramref name="reads"/>.</summary>
    public void Add(Value document, InputReads reads, PolicyDecision decision)
    {
        if (!reads.Complete)
        {
            return;
        }

        if (Volatile.Read(ref _count) + reads.Paths.Count > capacity)
        {
            Volatile.Write(ref _root, new Node());
            Volatile.Write(ref _count, 0);
        }

        var node = Volatile.Read(ref _root);
        foreach (var path in reads.Paths)
        {
            var named = Interlocked.CompareExchange(ref node.Path, path, null);
            if ((named is not null && !named.AsSpan().SequenceEqual(path)) || node.Decision is not null)
            {
                // Another evaluation that agreed so far read elsewhere next: not deterministic after all; keep nothing.
                return;
            }

            var value = PolicyInputValue.ValueAt(document, path);
            node = value is null ? UndefinedChild(node) : Child(node, value);
        }

        if (node.Path is null && node.Decision is null)
        {
            node.Decision = decision;
        }
    }

    private Node Child(Node node, Value value)
    {
        if (node.Children.TryGetValue(value, out var child))
        {
            return child;
        }

        var created = new Node();
        child = node.Children.GetOrAdd(value, created);
        if (ReferenceEquals(child, created))
        {
            Interlocked.Increment(ref _count);
        }

        return child;
    }

    private Node UndefinedChild(Node node)
    {
        if (node.Undefined is { } child)
        {
            return child;
        }

        var created = new Node();
        if (Interlocked.CompareExchange(ref node.Undefined, created, null) is { } existing)
        {
            return existing;
        }

        Interlocked.Increment(ref _count);
        return created;
    }

    private sealed class Node
    {
        /// <summary>The path read next (set once), or null for a leaf.</summary>
        public Value[]? Path;

        /// <summary>The decision at a leaf.</summary>
        public volatile PolicyDecision? Decision;

        /// <summary>The node for an undefined value at <see cref="Path"/>.</summary>
        public Node? Undefined;

        public ConcurrentDictionary<Value, Node> Children { get; } = new();
    }
}
