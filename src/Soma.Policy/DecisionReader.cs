using System.Buffers;
using System.Text.Json;
using Soma.Core.Policy;

namespace Soma.Policy;

/// <summary>
/// The one reading of a decision value (the query's result) into a <see cref="PolicyDecision"/>, shared by every
/// engine. The value must be an object with a boolean <c>allow</c> and, optionally, <c>reasons</c> (an array of
/// strings); anything else is a deny <see cref="PolicyReasons.Malformed"/>, since a policy that says neither yes nor no
/// must not let a tool run. A deny without reasons gets <see cref="PolicyReasons.Denied"/>, so every deny says why.
/// Any other members of the object are kept as <see cref="PolicyDecision.Obligations"/>.
/// </summary>
internal static class DecisionReader
{
    /// <summary>Reads <paramref name="result"/>.</summary>
    /// <param name="result">The decision value.</param>
    /// <param name="policyVersion">The version of the policy that decided.</param>
    /// <param name="engine">The engine that decided.</param>
    /// <param name="duration">How long the decision took.</param>
    /// <param name="problem">
    /// What is wrong with the value's shape when it is malformed, else null. It names members and JSON kinds only,
    /// never values: a policy may echo the input's arguments back, and those must not reach the logs.
    /// </param>
    public static PolicyDecision Read(JsonElement result, string policyVersion, string engine, TimeSpan duration, out string? problem)
    {
        problem = Check(result);
        if (problem is not null)
        {
            return PolicyDecision.Deny(PolicyReasons.Malformed, policyVersion, engine, duration);
        }

        var allow = result.GetProperty("allow").GetBoolean();
        List<string> reasons = [];
        if (result.TryGetProperty("reasons", out var given))
        {
            foreach (var reason in given.EnumerateArray())
            {
                reasons.Add(reason.GetString()!);
            }
        }

        if (!allow && reasons.Count == 0)
        {
            reasons.Add(PolicyReasons.Denied);
        }

        return new PolicyDecision(allow, reasons, policyVersion, engine, duration) { Obligations = Extras(result) };
    }

    private static string? Check(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Object)
        {
            return $"the decision is {Kind(result)}, not an object";
        }

        if (!result.TryGetProperty("allow", out var allow))
        {
            return "the decision has no allow";
        }

        if (allow.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return $"allow is {Kind(allow)}, not a boolean";
        }

        if (!result.TryGetProperty("reasons", out var reasons))
        {
            return null;
        }

        if (reasons.ValueKind != JsonValueKind.Array)
        {
            return $"reasons is {Kind(reasons)}, not an array";
        }

        var index = 0;
        foreach (var reason in reasons.EnumerateArray())
        {
            if (reason.ValueKind != JsonValueKind.String)
            {
                return $"reasons[{index}] is {Kind(reason)}, not a string";
            }

            index++;
        }

        return null;
    }

    private static JsonElement? Extras(JsonElement result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var any = false;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var member in result.EnumerateObject())
            {
                if (member.NameEquals("allow") || member.NameEquals("reasons"))
                {
                    continue;
                }

                member.WriteTo(writer);
                any = true;
            }

            writer.WriteEndObject();
        }

        if (!any)
        {
            return null;
        }

        // Detached from the answer's document, which the caller disposes.
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "missing",
    };
}
