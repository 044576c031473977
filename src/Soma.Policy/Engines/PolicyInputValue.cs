using System.Collections.Immutable;
using Soma.Core.Policy;
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
        var roles = ImmutableArray.CreateBuilder<Value>(input.Roles.Count);
        foreach (var role in input.Roles)
        {
            roles.Add(Value.String(role));
        }

        var tool = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
        tool.Add(Name, Value.String(input.Tool.Name));
        // Both engines see the same document (PolicyInputDocument is what OPA is sent): absent arguments are {}.
        tool.Add(Arguments, input.Tool.Arguments.ValueKind == System.Text.Json.JsonValueKind.Undefined ? Value.EmptyObject : Value.FromJson(input.Tool.Arguments));
        tool.Add(Risk, Value.String(input.Tool.Risk));
        tool.Add(Sandbox, Value.Bool(input.Tool.Sandbox));

        var document = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
        document.Add(Tenant, Value.String(input.Tenant));
        document.Add(Subject, Value.String(input.Subject));
        document.Add(Roles, Value.Array(roles.MoveToImmutable()));
        document.Add(Tool, Value.Object(tool));
        document.Add(Session, OrNull(input.Session));
        document.Add(Run, OrNull(input.Run));
        document.Add(Step, OrNull(input.Step));
        document.Add(Now, Value.String(PolicyInputDocument.FormatTime(input.Now)));
        return Value.Object(document);
    }

    private static Value OrNull(string? text) => text is null ? Value.Null : Value.String(text);
}
