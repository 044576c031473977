using System.Globalization;
using Soma.Core.Policy;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Engines;

/// <summary>The decision input as the embedded engine's <c>input</c> document (the same document OPA is sent).</summary>
internal static class PolicyInputValue
{
    public static Value From(PolicyInput input) => Value.Object(
        ("tenant", Value.String(input.Tenant)),
        ("subject", Value.String(input.Subject)),
        ("roles", Value.Array(input.Roles.Select(Value.String).ToList())),
        ("tool", Value.Object(
            ("name", Value.String(input.Tool.Name)),
            ("arguments", Value.FromJson(input.Tool.Arguments)),
            ("risk", Value.String(input.Tool.Risk)),
            ("sandbox", Value.Bool(input.Tool.Sandbox)))),
        ("session", OrNull(input.Session)),
        ("run", OrNull(input.Run)),
        ("step", OrNull(input.Step)),
        ("now", Value.String(input.Now.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture))));

    private static Value OrNull(string? text) => text is null ? Value.Null : Value.String(text);
}
