using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Storage;

namespace Soma.Core.Policy;

/// <summary>
/// Audits one policy decision inside the caller's transaction: an audit-log row and an <c>agent.audit.v1</c>
/// <c>audit.decision</c> event, with the decision's reasons, engine, duration, whether it was a cached decision, and policy version in the details. The
/// one place both the tool invoker and the orchestrator's policy step write decisions, so they read alike.
/// </summary>
public static class PolicyDecisionAudit
{
    /// <summary>Appends the row (in <paramref name="transaction"/>) and hands the event to <paramref name="appendEvent"/>.</summary>
    /// <param name="audit">The audit log.</param>
    /// <param name="ids">Ids for the row.</param>
    /// <param name="transaction">The caller's transaction.</param>
    /// <param name="appendEvent">Appends the event in the same transaction.</param>
    /// <param name="tenant">The tenant.</param>
    /// <param name="time">When it was decided (the caller's clock).</param>
    /// <param name="actor"><c>user:{sub}</c> or <c>run:{id}</c>.</param>
    /// <param name="action">What was asked, e.g. <c>tool.call</c>, <c>workflow.step</c>.</param>
    /// <param name="resource">What it was asked of, e.g. <c>tool/time.now</c>.</param>
    /// <param name="decision">The decision.</param>
    /// <param name="details">Facts about the call (never secrets, never the arguments themselves).</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public static async Task AppendAsync(
        IAuditLog audit, IIdGenerator ids, IStoreTransaction transaction, Func<AuditDecisionMade, Task> appendEvent,
        string tenant, DateTimeOffset time, string actor, string action, string resource, PolicyDecision decision,
        IReadOnlyDictionary<string, object?> details, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(appendEvent);
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(details);
        var reason = Truncate(string.Join("; ", decision.Reasons), 2000);
        var version = string.IsNullOrEmpty(decision.PolicyVersion) ? "none" : Truncate(decision.PolicyVersion, 200);
        var (detailsText, detailsJson) = DetailsJson(details, decision);
        await audit.AppendAsync(transaction, new AuditRecord(
            ids.NewId(), tenant, time, actor, action, resource, decision.Allow ? "allow" : "deny", reason, version,
            Activity.Current?.TraceId.ToHexString(), detailsText), cancellationToken).ConfigureAwait(false);
        await appendEvent(new AuditDecisionMade(actor, action, resource, decision.Allow ? AuditDecision.Allow : AuditDecision.Deny, version, reason.Length > 0 ? reason : null, detailsJson)).ConfigureAwait(false);
    }

    // The details object as the row's text and the event's element, written once by a Utf8JsonWriter: the caller's facts
    // in their order, then the decision's (a caller's fact of the same name gives way to the decision's). Strings, numbers,
    // booleans and lists of strings are written directly; anything else as JsonSerializer writes it by its runtime type.
    // (Serializing a dictionary of objects went through the serializer's polymorphic path for every value, then parsed
    // the result again and copied it out as text: most of an audited decision's managed time.)
    private static (string Text, JsonElement Element) DetailsJson(IReadOnlyDictionary<string, object?> details, PolicyDecision decision)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        writer.WriteStartObject();
        foreach (var (name, value) in details)
        {
            if (name is "reasons" or "engine" or "duration_ms" or "cached")
            {
                continue;
            }

            writer.WritePropertyName(name);
            WriteValue(writer, value);
        }

        writer.WritePropertyName("reasons");
        WriteValue(writer, decision.Reasons);
        writer.WriteString("engine", decision.Engine);
        writer.WriteNumber("duration_ms", Math.Round(decision.Duration.TotalMilliseconds, 3));
        writer.WriteBoolean("cached", decision.Cached);
        writer.WriteEndObject();
        writer.Flush();
        var json = buffer.WrittenSpan;
        return (Encoding.UTF8.GetString(json), JsonElement.Parse(json));
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case double number:
                writer.WriteNumberValue(number);
                break;
            case IEnumerable<string> texts:
                writer.WriteStartArray();
                foreach (var text in texts)
                {
                    writer.WriteStringValue(text);
                }

                writer.WriteEndArray();
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType());
                break;
        }
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
