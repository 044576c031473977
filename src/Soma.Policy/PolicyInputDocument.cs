using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Soma.Core.Policy;

namespace Soma.Policy;

/// <summary>
/// The one serialization of a <see cref="PolicyInput"/> as the policy sees it (<c>input</c> in Rego): snake_case
/// members <c>tenant, subject, roles, tool {name, arguments, risk, sandbox}, session, run, step, now</c>, in that order.
/// Every engine (the OPA client, the embedded Rego engine) uses it, so a policy decides alike on either.
/// </summary>
/// <remarks>
/// <c>session</c>, <c>run</c> and <c>step</c> are written as <c>null</c> when absent rather than left out, so a policy
/// can tell "not in a run" (<c>input.run == null</c>) from a typo in a member name (undefined). <c>now</c> is RFC 3339 in
/// UTC with no trailing zeros in the fraction (<c>2026-12-02T16:20:34.5Z</c>), which OPA's <c>time.parse_rfc3339_ns</c>
/// reads. Arguments the model gave are copied as they are; missing arguments are <c>{}</c>.
/// </remarks>
internal static class PolicyInputDocument
{
    /// <summary>The input document alone, as UTF-8 JSON.</summary>
    public static byte[] Serialize(PolicyInput input)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, input);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>OPA's Data API request body: <c>{"input": …}</c>, as UTF-8 JSON.</summary>
    public static byte[] SerializeRequest(PolicyInput input)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("input");
            Write(writer, input);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the input document as one JSON value.</summary>
    public static void Write(Utf8JsonWriter writer, PolicyInput input)
    {
        writer.WriteStartObject();
        writer.WriteString("tenant", input.Tenant);
        writer.WriteString("subject", input.Subject);
        writer.WriteStartArray("roles");
        foreach (var role in input.Roles)
        {
            writer.WriteStringValue(role);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("tool");
        writer.WriteString("name", input.Tool.Name);
        writer.WritePropertyName("arguments");
        if (input.Tool.Arguments.ValueKind == JsonValueKind.Undefined)
        {
            // A default JsonElement (no arguments given) cannot be written; the policy sees an empty object.
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else
        {
            input.Tool.Arguments.WriteTo(writer);
        }

        writer.WriteString("risk", input.Tool.Risk);
        writer.WriteBoolean("sandbox", input.Tool.Sandbox);
        writer.WriteEndObject();
        writer.WriteString("session", input.Session);
        writer.WriteString("run", input.Run);
        writer.WriteString("step", input.Step);
        writer.WriteString("now", FormatTime(input.Now));
        writer.WriteEndObject();
    }

    /// <summary>RFC 3339 in UTC, fraction only as long as needed.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
