using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego.Compilation;

internal sealed partial class Compiler
{
    private sealed class LiteralVars
    {
        public HashSet<int> Inputs { get; } = [];

        public HashSet<int> Iterated { get; } = [];

        public HashSet<int> LeftPattern { get; } = [];

        public HashSet<int> RightPattern { get; } = [];

        public bool Decomposable { get; set; }

        public bool IsUnify { get; set; }

        public IEnumerable<int> Outputs => Iterated.Concat(LeftPattern).Concat(RightPattern);

        public bool Ready(HashSet<int> bound)
        {
            var produced = new HashSet<int>(Outputs);
            if (!Inputs.All(s => bound.Contains(s) || produced.Contains(s)))
            {
                return false;
            }

            return !IsUnify || Decomposable || LeftPattern.All(bound.Contains) || RightPattern.All(bound.Contains);
        }
    }

    /// <summary>Orders literals so each runs once its inputs are bound (OPA's reordering for safety), keeping
    /// the written order otherwise.</summary>
    private Literal[] Order(Query body, Scope scope, RuleContext context, HashSet<int> bound)
    {
        var own = scope.Slots;
        var analyses = body.Literals.Select(l => Analyze(l, own)).ToList();
        var allOutputs = new HashSet<int>(analyses.SelectMany(a => a.Outputs));
        for (var i = 0; i < body.Literals.Count; i++)
        {
            if (body.Literals[i] is ExpressionLiteral { Negated: true } or EveryLiteral)
            {
                analyses[i].Inputs.IntersectWith(allOutputs);
            }
        }

        var remaining = Enumerable.Range(0, body.Literals.Count).ToList();
        var ordered = new List<Literal>();
        while (remaining.Count > 0)
        {
            var pick = remaining.FindIndex(i => analyses[i].Ready(bound));
            if (pick < 0)
            {
                var stuck = remaining[0];
                var unsafeSlots = analyses[stuck].Inputs.Concat(analyses[stuck].LeftPattern).Concat(analyses[stuck].RightPattern).Where(s => !bound.Contains(s)).Distinct();
                foreach (var slot in unsafeSlots)
                {
                    Error($"var `{context.SlotNames[slot]}` is unsafe", body.Literals[stuck].Location);
                }

                ordered.AddRange(remaining.Select(i => body.Literals[i]));
                return [.. ordered];
            }

            var index = remaining[pick];
            remaining.RemoveAt(pick);
            ordered.Add(body.Literals[index]);
            bound.UnionWith(analyses[index].Outputs);
        }

        return [.. ordered];
    }

    private static LiteralVars Analyze(Literal literal, HashSet<int> own)
    {
        var vars = new LiteralVars();
        switch (literal)
        {
            case ExpressionLiteral { Negated: true } e:
                CollectSlots(e.Expression, own, vars.Inputs);
                break;
            case ExpressionLiteral { Expression: BinaryTerm { Operator: BinaryOperator.Unify } b }:
                vars.IsUnify = true;
                Visit(b.Left, true, vars, own, vars.LeftPattern);
                Visit(b.Right, true, vars, own, vars.RightPattern);
                vars.Decomposable = b.Left is ArrayTerm or ObjectTerm && b.Right is ArrayTerm or ObjectTerm;
                break;
            case ExpressionLiteral { Expression: BinaryTerm { Operator: BinaryOperator.Assign } b }:
                Visit(b.Left, true, vars, own, vars.LeftPattern);
                Visit(b.Right, false, vars, own, vars.RightPattern);
                break;
            case ExpressionLiteral e:
                Visit(e.Expression, false, vars, own, vars.LeftPattern);
                break;
            case SomeInLiteral s:
                Visit(s.Collection, false, vars, own, vars.LeftPattern);
                if (s.Key is not null)
                {
                    Visit(s.Key, true, vars, own, vars.LeftPattern);
                }

                Visit(s.Value, true, vars, own, vars.LeftPattern);
                break;
            case EveryLiteral every:
                CollectSlots(every.Domain, own, vars.Inputs);
                foreach (var inner in every.Body.Literals)
                {
                    CollectLiteralSlots(inner, own, vars.Inputs);
                }

                break;
        }

        foreach (var with in literal.With)
        {
            CollectSlots(with.Value, own, vars.Inputs);
        }

        return vars;
    }

    private static void Visit(Term term, bool pattern, LiteralVars vars, HashSet<int> own, HashSet<int> patternOut)
    {
        switch (term)
        {
            case VarTerm v when v.Slot >= 0 && own.Contains(v.Slot):
                (pattern ? patternOut : vars.Inputs).Add(v.Slot);
                break;
            case ArrayTerm a:
                foreach (var item in a.Items)
                {
                    Visit(item, pattern, vars, own, patternOut);
                }

                break;
            case SetTerm s:
                foreach (var item in s.Items)
                {
                    Visit(item, false, vars, own, patternOut);
                }

                break;
            case ObjectTerm o:
                foreach (var (key, value) in o.Pairs)
                {
                    Visit(key, pattern && key is VarTerm, vars, own, patternOut);
                    Visit(value, pattern, vars, own, patternOut);
                }

                break;
            case RefTerm r:
                Visit(r.Head, false, vars, own, patternOut);
                foreach (var part in r.Parts)
                {
                    if (part.Key is VarTerm v && v.Slot >= 0 && own.Contains(v.Slot))
                    {
                        vars.Iterated.Add(v.Slot);
                    }
                    else
                    {
                        Visit(part.Key, false, vars, own, patternOut);
                    }
                }

                break;
            case CallTerm c:
                for (var i = 0; i < c.Arguments.Count; i++)
                {
                    if (c.HasOutput && i == c.Arguments.Count - 1)
                    {
                        Visit(c.Arguments[i], true, vars, own, vars.Iterated);
                    }
                    else
                    {
                        Visit(c.Arguments[i], false, vars, own, patternOut);
                    }
                }

                break;
            case BinaryTerm b:
                Visit(b.Left, false, vars, own, patternOut);
                Visit(b.Right, false, vars, own, patternOut);
                break;
            case MembershipTerm m:
                if (m.Key is not null)
                {
                    Visit(m.Key, false, vars, own, patternOut);
                }

                Visit(m.Value, false, vars, own, patternOut);
                Visit(m.Collection, false, vars, own, patternOut);
                break;
            case ComprehensionTerm c:
                CollectSlots(c, own, vars.Inputs);
                break;
        }
    }

    /// <summary>Every slot of <paramref name="own"/> a term mentions, at any depth.</summary>
    private static void CollectSlots(Term? term, HashSet<int> own, HashSet<int> slots)
    {
        switch (term)
        {
            case VarTerm v when v.Slot >= 0 && own.Contains(v.Slot):
                slots.Add(v.Slot);
                break;
            case RefTerm r:
                CollectSlots(r.Head, own, slots);
                foreach (var part in r.Parts)
                {
                    CollectSlots(part.Key, own, slots);
                }

                break;
            case ArrayTerm a:
                foreach (var item in a.Items)
                {
                    CollectSlots(item, own, slots);
                }

                break;
            case SetTerm s:
                foreach (var item in s.Items)
                {
                    CollectSlots(item, own, slots);
                }

                break;
            case ObjectTerm o:
                foreach (var (key, value) in o.Pairs)
                {
                    CollectSlots(key, own, slots);
                    CollectSlots(value, own, slots);
                }

                break;
            case CallTerm c:
                foreach (var argument in c.Arguments)
                {
                    CollectSlots(argument, own, slots);
                }

                break;
            case BinaryTerm b:
                CollectSlots(b.Left, own, slots);
                CollectSlots(b.Right, own, slots);
                break;
            case MembershipTerm m:
                CollectSlots(m.Key, own, slots);
                CollectSlots(m.Value, own, slots);
                CollectSlots(m.Collection, own, slots);
                break;
            case ComprehensionTerm c:
                CollectSlots(c.Key, own, slots);
                CollectSlots(c.Head, own, slots);
                foreach (var literal in c.Body.Literals)
                {
                    CollectLiteralSlots(literal, own, slots);
                }

                break;
        }
    }

    private static void CollectLiteralSlots(Literal literal, HashSet<int> own, HashSet<int> slots)
    {
        switch (literal)
        {
            case ExpressionLiteral e:
                CollectSlots(e.Expression, own, slots);
                break;
            case SomeInLiteral s:
                CollectSlots(s.Key, own, slots);
                CollectSlots(s.Value, own, slots);
                CollectSlots(s.Collection, own, slots);
                break;
            case EveryLiteral every:
                CollectSlots(every.Domain, own, slots);
                foreach (var inner in every.Body.Literals)
                {
                    CollectLiteralSlots(inner, own, slots);
                }

                break;
        }

        foreach (var with in literal.With)
        {
            CollectSlots(with.Value, own, slots);
        }
    }
}
