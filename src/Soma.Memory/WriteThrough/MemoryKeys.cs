using System.Text.Json;
using Soma.Core.Storage;
using Soma.Memory.Protocol;

namespace Soma.Memory.WriteThrough;

/// <summary>
/// The deterministic keys of conversation memories: <c>{tenant}/{session}/{message id}/{role}</c>. The same message
/// always gets the same key, so a retried or resumed write updates the memory instead of adding a second one.
/// </summary>
public static class MemoryKeys
{
    /// <summary>Outbox topic of a memory write.</summary>
    public const string RememberTopic = "memory.remember";

    /// <summary>Outbox topic of a link between two memories.</summary>
    public const string LinkTopic = "memory.link";

    /// <summary>Both memory-write topics (not to be confused with <c>memory.v1</c>, the schema of memory events).</summary>
    public static readonly IReadOnlyList<string> Topics = [RememberTopic, LinkTopic];

    /// <summary>Relation of an assistant answer to the user message it answers.</summary>
    public const string Answers = "answers";

    /// <summary>Relation of a user message to the assistant answer it got.</summary>
    public const string AnsweredBy = "answered_by";

    /// <summary>Relation of a tool output to the assistant answer that used it.</summary>
    public const string UsedBy = "used_by";

    /// <summary>The key of a user or assistant message.</summary>
    public static string Message(string tenant, Guid sessionId, Guid messageId, string role) => $"{tenant}/{sessionId}/{messageId}/{role}";

    /// <summary>Relation of a saved note to the answer of the turn that saved it.</summary>
    public const string SavedIn = "saved_in";

    /// <summary>The key of one tool call's output in a turn (the reply's id, the round and the model's call id).</summary>
    public static string ToolOutput(string tenant, Guid sessionId, Guid replyId, int round, string toolCallId) =>
        $"{tenant}/{sessionId}/{replyId}/tool/{round}/{toolCallId}";

    /// <summary>The key of a memory the model saved with the <c>memory.save</c> tool.</summary>
    public static string Saved(string tenant, Guid sessionId, Guid replyId, string toolCallId) => $"{tenant}/{sessionId}/{replyId}/saved/{toolCallId}";

    /// <summary>The tag every memory of a session carries.</summary>
    public static string SessionTag(Guid sessionId) => $"session:{sessionId}";

    /// <summary>The tag naming who said it.</summary>
    public static string RoleTag(string role) => $"role:{role}";

    /// <summary>The outbox partition of a session's memory writes (delivered in order).</summary>
    public static string Partition(Guid sessionId) => $"memory:{sessionId}";

    /// <summary>
    /// What a memory write's outbox row writes, for logs and the audit: its dedupe key (a memory's key; a link's source,
    /// relation and target), or, for a write kept unique by its row id
    /// (<see cref="MemoryWriteThrough.RememberAcceptedMessageAsync"/>), the memory key in its payload.
    /// </summary>
    public static string WrittenKey(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Topic != RememberTopic || message.DedupeKey != message.Id.ToString())
        {
            return message.DedupeKey;
        }

        try
        {
            return JsonSerializer.Deserialize(message.Payload, MemoryJson.Default.RememberRequest)?.Key ?? message.DedupeKey;
        }
        catch (JsonException)
        {
            return message.DedupeKey;
        }
    }
}
