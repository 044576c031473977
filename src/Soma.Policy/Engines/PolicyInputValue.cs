using System.Collections.Immutable;
using Soma.Core.Policy;
using Soma.Policy.Rego.Evaluation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Engines;

/// <summary>The decision input as the embedded engine's <c>input</c> document (the same document OPA is sent).</summary>
internal static class PolicyInputValue
{
    private static readonly StringValue Tenant = Value.String("tenant");
    private static readonly StringValue Subject = Value.String("subject");
    private static readonly StringValue Roles = Value.String("roles");
    private static readonly StringValue Tool = Value.String("tool");
    private static readonly StringValue Name = Value.String("name");
    private static readonly StringValue Arguments = Value.String("arguments");
    private static readonly StringValue Risk = Value.String("risk");
    private static readonly StringValue Sandbox = Value.String("sandbox");
    private static readonly StringValue Session = Value.String("session");
    private static readonly StringValue Run = Value.String("run");
    private static readonly StringValue Step = Value.String("step");
    private static readonly StringValue Now = Value.String("now");

    public static Value From(PolicyInput input)
    {
        var tool = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
        tool.Add(Name, Value.String(input.Tool.Name));
        // Both engines see the same document (PolicyInputDocument is what OPA is sent): absent arguments are {}.
        tool.Add(Arguments, input.Tool.Arguments.ValueKind == System.Text.Json.JsonValueKind.Undefined ? Value.EmptyObject : Value.FromJson(input.Tool.Arguments));
        tool.Add(Risk, Value.String(input.Tool.Risk));
        tool.Add(Sandbox, Value.Bool(input.Tool.Sandbox));

        var document = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
        document.Add(Tenant, Value.String(input.Tenant));
        document.Add(Subject, Value.String(input.Subject));
        document.Add(Roles, RolesOf(input));
        document.Add(Tool, Value.Object(tool));
        document.Add(Session, OrNull(input.Session));
        document.Add(Run, OrNull(input.Run));
        document.Add(Step, OrNull(input.Step));
        document.Add(Now, Value.String(PolicyInputDocument.FormatTime(input.Now)));
        return Value.Object(document);
    }

    /// <summary>
    /// The value at <paramref name="path"/> of the document <see cref="From"/> makes of <paramref name="input"/> (null
    /// when undefined). The members the shipped policy reads are made alone; any other path is read from the whole
    /// document, made once into <paramref name="document"/>.
    /// </summary>
    public static Value? At(PolicyInput input, Value[] path, ref Value? document)
    {
        var first = path[0];
        if (path.Length == 1)
        {
            if (first.Equals(Roles))
            {
                return RolesOf(input);
            }

            if (first.Equals(Tenant))
            {
                return Value.String(input.Tenant);
            }

            if (first.Equals(Subject))
            {
                return Value.String(input.Subject);
            }
        }
        else if (path.Length == 2 && first.Equals(Tool))
        {
            var second = path[1];
            if (second.Equals(Name))
            {
                return Value.String(input.Tool.Name);
            }

            if (second.Equals(Sandbox))
            {
                return Value.Bool(input.Tool.Sandbox);
            }

            if (second.Equals(Risk))
            {
                return Value.String(input.Tool.Risk);
            }
        }

        return ValueAt(document ??= From(input), path);
    }

    /// <summary>The value at <paramref name="path"/> below <paramref name="root"/>, as the evaluator indexes it (null when undefined).</summary>
    public static Value? ValueAt(Value root, Value[] path)
    {
        Value? value = root;
        foreach (var key in path)
        {
            if (value is null)
            {
                return null;
            }

            value = Evaluator.Index(value, key);
        }

        return value;
    }

    private static ArrayValue RolesOf(PolicyInput input)
    {
        var roles = ImmutableArray.CreateBuilder<Value>(input.Roles.Count);
        foreach (var role in input.Roles)
        {
            roles.Add(Value.String(role));
        }

        return Value.Array(roles.MoveToImmutable());
    }

    private static Value OrNull(string? text) => text is null ? Value.Null : Value.String(text);
}
