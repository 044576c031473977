using System.Text;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary>
/// Prints an AST as canonical Rego: one rule per paragraph, one literal per line, operands in parentheses where
/// precedence (or the array/comprehension ambiguity) needs them. Parsing the output gives the same tree.
/// </summary>
internal sealed class Printer
{
    private readonly StringBuilder _text = new();

    public static string Print(Module module)
    {
        var printer = new Printer();
        printer.Module(module);
        return printer._text.ToString();
    }

    public static string PrintTerm(Term term)
    {
        var printer = new Printer();
        printer.Term(term);
        return printer._text.ToString();
    }

    private void Module(Module module)
    {
        _text.Append("package ");
        for (var i = 0; i < module.Package.Count; i++)
        {
            var key = module.Package[i];
            if (i == 0)
            {
                _text.Append(key);
            }
            else if (IsIdentifier(key))
            {
                _text.Append('.').Append(key);
            }
            else
            {
                _text.Append('[').Append(Value.String(key)).Append(']');
            }
        }

        _text.Append('\n');
        if (module.Imports.Count > 0)
        {
            _text.Append('\n');
        }

        foreach (var import in module.Imports)
        {
            _text.Append("import ");
            Term(import.Path);
            if (import.Alias is not null)
            {
                _text.Append(" as ").Append(import.Alias);
            }

            _text.Append('\n');
        }

        foreach (var rule in module.Rules)
        {
            _text.Append('\n');
            Rule(rule);
            _text.Append('\n');
        }
    }

    private void Rule(Rule rule)
    {
        var head = rule.Head;
        if (rule.IsDefault)
        {
            _text.Append("default ");
        }

        _text.Append(head.Name);
        foreach (var part in head.Parts)
        {
            Part(part);
        }

        if (head.Parameters is not null)
        {
            _text.Append('(');
            List(head.Parameters, false);
            _text.Append(')');
        }

        if (head.ContainsKey is not null)
        {
            _text.Append(" contains ");
            Operand(head.ContainsKey, 2);
        }

        if (head.Value is not null)
        {
            _text.Append(head.Assign == AssignKind.Assign ? " := " : " = ");
            Operand(head.Value, 1);
        }

        if (rule.Body is not null)
        {
            _text.Append(rule.UsesIf ? " if " : " ");
            Body(rule.Body, 1);
        }

        for (var clause = rule.Else; clause is not null; clause = clause.Next)
        {
            _text.Append(" else");
            if (clause.Value is not null)
            {
                _text.Append(clause.Assign == AssignKind.Assign ? " := " : " = ");
                Operand(clause.Value, 1);
            }

            if (clause.Body is not null)
            {
                _text.Append(' ');
                Body(clause.Body, 1);
            }
        }
    }

    private void Body(Query body, int depth)
    {
        _text.Append("{\n");
        foreach (var literal in body.Literals)
        {
            _text.Append('\t', depth);
            Literal(literal, depth);
            _text.Append('\n');
        }

        _text.Append('\t', depth - 1).Append('}');
    }

    private void Literal(Literal literal, int depth)
    {
        switch (literal)
        {
            case ExpressionLiteral e:
                if (e.Negated)
                {
                    _text.Append("not ");
                }

                Expression(e.Expression);
                break;
            case SomeLiteral s:
                _text.Append("some ");
                for (var i = 0; i < s.Variables.Count; i++)
                {
                    _text.Append(i == 0 ? string.Empty : ", ").Append(s.Variables[i].Name);
                }

                break;
            case SomeInLiteral s:
                _text.Append("some ");
                if (s.Key is not null)
                {
                    Operand(s.Key, 3);
                    _text.Append(", ");
                }

                Operand(s.Value, 3);
                _text.Append(" in ");
                Operand(s.Collection, 3);
                break;
            case EveryLiteral every:
                _text.Append("every ");
                if (every.Key is not null)
                {
                    _text.Append(every.Key.Name).Append(", ");
                }

                _text.Append(every.Value.Name).Append(" in ");
                Operand(every.Domain, 3);
                _text.Append(' ');
                if (depth < 0)
                {
                    InlineBody(every.Body);
                }
                else
                {
                    Body(every.Body, depth + 1);
                }

                break;
        }

        foreach (var with in literal.With)
        {
            _text.Append(" with ");
            Term(with.Target);
            _text.Append(" as ");
            Operand(with.Value, 2);
        }
    }

    private void InlineBody(Query body)
    {
        _text.Append("{ ");
        for (var i = 0; i < body.Literals.Count; i++)
        {
            _text.Append(i == 0 ? string.Empty : "; ");
            Literal(body.Literals[i], -1);
        }

        _text.Append(" }");
    }

    /// <summary>A statement's expression: the only place <c>key, value in collection</c> may stand unparenthesized.</summary>
    private void Expression(Term term)
    {
        if (term is BinaryTerm { Operator: BinaryOperator.Assign or BinaryOperator.Unify } b)
        {
            Operand(b.Left, 2);
            _text.Append(b.Operator == BinaryOperator.Assign ? " := " : " = ");
            Operand(b.Right, 2);
            return;
        }

        Operand(term, 0);
    }

    private static int Precedence(Term term) => term switch
    {
        BinaryTerm { Operator: BinaryOperator.OrElse } => 0,
        BinaryTerm { Operator: BinaryOperator.Assign or BinaryOperator.Unify } => 1,
        MembershipTerm => 2,
        BinaryTerm { Operator: >= BinaryOperator.Equal and <= BinaryOperator.GreaterOrEqual } => 3,
        BinaryTerm { Operator: BinaryOperator.Union } => 4,
        BinaryTerm { Operator: BinaryOperator.Intersection } => 5,
        BinaryTerm { Operator: BinaryOperator.Plus or BinaryOperator.Minus } => 6,
        BinaryTerm => 7,
        _ => 8,
    };

    /// <summary>Prints a term in parentheses when its precedence is below <paramref name="minimum"/>.</summary>
    private void Operand(Term term, int minimum)
    {
        var keyValue = term is MembershipTerm { Key: not null };
        if (Precedence(term) < minimum || (keyValue && minimum > 0))
        {
            _text.Append('(');
            Term(term);
            _text.Append(')');
        }
        else
        {
            Term(term);
        }
    }

    private void Term(Term term)
    {
        switch (term)
        {
            case ScalarTerm s:
                _text.Append(s.Value);
                break;
            case VarTerm v:
                _text.Append(v.Name);
                break;
            case RefTerm r:
                Operand(r.Head, 8);
                foreach (var part in r.Parts)
                {
                    Part(part);
                }

                break;
            case ArrayTerm a:
                _text.Append('[');
                List(a.Items, true);
                _text.Append(']');
                break;
            case SetTerm s:
                if (s.Items.Count == 0)
                {
                    _text.Append("set()");
                    break;
                }

                _text.Append('{');
                List(s.Items, true);
                _text.Append('}');
                break;
            case ObjectTerm o:
                _text.Append('{');
                for (var i = 0; i < o.Pairs.Count; i++)
                {
                    _text.Append(i == 0 ? string.Empty : ", ");
                    Operand(o.Pairs[i].Key, 8);
                    _text.Append(": ");
                    Operand(o.Pairs[i].Value, 8);
                }

                _text.Append('}');
                break;
            case ComprehensionTerm c:
                _text.Append(c.Kind == ComprehensionKind.Array ? '[' : '{');
                if (c.Key is not null)
                {
                    Operand(c.Key, 8);
                    _text.Append(": ");
                }

                Operand(c.Head, 8);
                _text.Append(" | ");
                for (var i = 0; i < c.Body.Literals.Count; i++)
                {
                    _text.Append(i == 0 ? string.Empty : "; ");
                    Literal(c.Body.Literals[i], -1);
                }

                _text.Append(c.Kind == ComprehensionKind.Array ? ']' : '}');
                break;
            case CallTerm call:
                Term(call.Function);
                _text.Append('(');
                List(call.Arguments, false);
                _text.Append(')');
                break;
            case BinaryTerm b:
                {
                    var precedence = Precedence(b);
                    Operand(b.Left, precedence);
                    _text.Append(' ').Append(Symbol(b.Operator)).Append(' ');
                    Operand(b.Right, precedence + 1);
                    break;
                }

            case MembershipTerm m:
                if (m.Key is not null)
                {
                    Operand(m.Key, 3);
                    _text.Append(", ");
                }

                Operand(m.Value, 2);
                _text.Append(" in ");
                Operand(m.Collection, 3);
                break;
        }
    }

    private void Part(RefPart part)
    {
        if (part.IsDot && part.Key is ScalarTerm { Value: StringValue s } && IsIdentifier(s.Value))
        {
            _text.Append('.').Append(s.Value);
            return;
        }

        _text.Append('[');
        Operand(part.Key, 2);
        _text.Append(']');
    }

    /// <summary>Items of a collection or call; binary items of collections are parenthesized so <c>[a | b]</c>
    /// is not read back as a comprehension.</summary>
    private void List(IReadOnlyList<Term> items, bool collection)
    {
        for (var i = 0; i < items.Count; i++)
        {
            _text.Append(i == 0 ? string.Empty : ", ");
            Operand(items[i], collection ? 8 : 2);
        }
    }

    private static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.OrElse => "or",
        BinaryOperator.Unify => "=",
        BinaryOperator.Assign => ":=",
        BinaryOperator.Equal => "==",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Less => "<",
        BinaryOperator.Greater => ">",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.Union => "|",
        BinaryOperator.Intersection => "&",
        BinaryOperator.Plus => "+",
        BinaryOperator.Minus => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        _ => "%",
    };

    private static bool IsIdentifier(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
        && text is not ("true" or "false" or "null");
}
