using System.Text.Json;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Memory.Protocol;
using Soma.Memory.Sync;

namespace Soma.Memory.WriteThrough;

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class MemoryValueJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>
/// Puts memory writes into the outbox inside the caller's transaction, so a message, an answer or a tool output is
/// never committed without its memory write; once the transaction commits the sync worker is woken to deliver at once
/// (the fast path), and whatever it cannot deliver waits in the outbox for the next chance. Keys are deterministic, so
/// writing the same memory twice (a retried request, a resumed step) adds one outbox row and one memory.
/// </summary>
public sealed class MemoryWriteThrough(IOutbox outbox, IIdGenerator ids, TimeProvider time, MemoryBacklog backlog, MemorySignal signal, IOptions<MemoryOptions> options)
{
    private readonly string _namespace = options.Value.Namespace;

    /// <summary>The namespace conversation memories go to.</summary>
    public string Namespace => _namespace;

    /// <summary>Appends the memory write (and, in order after it, its links from other memories) inside <paramref name="transaction"/>.</summary>
    /// <returns>False when the same key was already written (nothing was added).</returns>
    public Task<bool> RememberAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, string key, JsonElement value, IReadOnlyList<string> tags,
        IReadOnlyList<MemoryLink>? links, string? traceId, CancellationToken cancellationToken = default) =>
        RememberAsync(transaction, tenant, sessionId, key, value, tags, links, traceId, newKey: false, cancellationToken);

    private Task<bool> RememberAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, string key, JsonElement value, IReadOnlyList<string> tags,
        IReadOnlyList<MemoryLink>? links, string? traceId, bool newKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var request = new RememberRequest(tenant, _namespace, key, value, tags, links is { Count: > 0 } ? links : null, traceId);
        return AppendAsync(transaction, tenant, sessionId, MemoryKeys.RememberTopic, newKey ? null : key,
            JsonSerializer.Serialize(request, MemoryJson.Default.RememberRequest), cancellationToken);
    }

    /// <summary>Appends a link between two memories of the tenant inside <paramref name="transaction"/>, ordered after the session's earlier writes.</summary>
    public Task<bool> LinkAsync(IStoreTransaction transaction, string tenant, Guid sessionId, LinkRequest link, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        return AppendAsync(transaction, tenant, sessionId, MemoryKeys.LinkTopic, $"{link.FromKey}>{link.Type}>{link.ToKey}",
            JsonSerializer.Serialize(link, MemoryJson.Default.LinkRequest), cancellationToken);
    }

    /// <summary>Remembers a user or assistant message of a session under its deterministic key.</summary>
    public Task<bool> RememberMessageAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, Guid messageId, string role, string text, IReadOnlyList<MemoryLink>? links = null,
        IReadOnlyDictionary<string, string>? extra = null, CancellationToken cancellationToken = default) =>
        RememberMessageAsync(transaction, tenant, sessionId, messageId, role, text, links, extra, newKey: false, cancellationToken);

    /// <summary>
    /// Remembers a user message accepted in <paramref name="transaction"/> itself, under its deterministic key. Its id was
    /// made for this acceptance, so no write of its key can exist (a retried request is answered from the run it accepted
    /// and never writes again), and its outbox row is kept unique by the row's own id instead of by the key: the outbox's
    /// key index takes no entry for it, one B-tree leaf fewer per message in the acceptance's commit.
    /// </summary>
    public Task RememberAcceptedMessageAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, Guid messageId, string text, IReadOnlyDictionary<string, string>? extra = null,
        CancellationToken cancellationToken = default) =>
        RememberMessageAsync(transaction, tenant, sessionId, messageId, "user", text, null, extra, newKey: true, cancellationToken);

    private Task<bool> RememberMessageAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, Guid messageId, string role, string text, IReadOnlyList<MemoryLink>? links,
        IReadOnlyDictionary<string, string>? extra, bool newKey, CancellationToken cancellationToken)
    {
        var value = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["role"] = role,
            ["text"] = text,
            ["session_id"] = sessionId.ToString(),
            ["message_id"] = messageId.ToString(),
        };
        return RememberAsync(transaction, tenant, sessionId, MemoryKeys.Message(tenant, sessionId, messageId, role), JsonSerializer.SerializeToElement(value, MemoryValueJson.Default.DictionaryStringString),
            [MemoryKeys.SessionTag(sessionId), MemoryKeys.RoleTag(role)], links, System.Diagnostics.Activity.Current?.TraceId.ToHexString(), newKey, cancellationToken);
    }

    /// <summary>
    /// Remembers one tool call's output, linked to the assistant answer of the turn that used it (<c>used_by</c>; the
    /// answer's key is known before the answer exists, because the turn's reply id is fixed when the message is accepted).
    /// </summary>
    public Task<bool> RememberToolOutputAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, Guid replyId, int round, string toolCallId, string tool, string output,
        CancellationToken cancellationToken = default)
    {
        var value = new Dictionary<string, string>
        {
            ["role"] = "tool",
            ["tool"] = tool,
            ["text"] = output,
            ["session_id"] = sessionId.ToString(),
            ["message_id"] = replyId.ToString(),
            ["tool_call_id"] = toolCallId,
        };
        return RememberAsync(transaction, tenant, sessionId, MemoryKeys.ToolOutput(tenant, sessionId, replyId, round, toolCallId), JsonSerializer.SerializeToElement(value, MemoryValueJson.Default.DictionaryStringString),
            [MemoryKeys.SessionTag(sessionId), MemoryKeys.RoleTag("tool"), $"tool:{tool}"],
            [new MemoryLink(MemoryKeys.UsedBy, MemoryKeys.Message(tenant, sessionId, replyId, "assistant"))],
            System.Diagnostics.Activity.Current?.TraceId.ToHexString(), cancellationToken);
    }

    /// <summary>
    /// Remembers a turn's answer linked both ways to the user message it answers: the answer carries <c>answers</c>
    /// and a link row after it adds <c>answered_by</c> from the user message.
    /// </summary>
    public async Task RememberAnswerAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, Guid userMessageId, Guid replyId, string text, IReadOnlyDictionary<string, string>? extra = null,
        CancellationToken cancellationToken = default)
    {
        var userKey = MemoryKeys.Message(tenant, sessionId, userMessageId, "user");
        var answerKey = MemoryKeys.Message(tenant, sessionId, replyId, "assistant");
        await RememberMessageAsync(transaction, tenant, sessionId, replyId, "assistant", text, [new MemoryLink(MemoryKeys.Answers, userKey)], extra, cancellationToken).ConfigureAwait(false);
        await LinkAsync(transaction, tenant, sessionId, new LinkRequest(userKey, answerKey, MemoryKeys.AnsweredBy), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Remembers a note the model saved (<c>memory.save</c>), linked to the answer of the turn that saved it.</summary>
    public Task<bool> RememberNoteAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, Guid replyId, string toolCallId, string text, CancellationToken cancellationToken = default)
    {
        var value = new Dictionary<string, string>
        {
            ["role"] = "note",
            ["text"] = text,
            ["session_id"] = sessionId.ToString(),
            ["message_id"] = replyId.ToString(),
            ["tool_call_id"] = toolCallId,
        };
        return RememberAsync(transaction, tenant, sessionId, MemoryKeys.Saved(tenant, sessionId, replyId, toolCallId), JsonSerializer.SerializeToElement(value, MemoryValueJson.Default.DictionaryStringString),
            [MemoryKeys.SessionTag(sessionId), MemoryKeys.RoleTag("note")],
            [new MemoryLink(MemoryKeys.SavedIn, MemoryKeys.Message(tenant, sessionId, replyId, "assistant"))],
            System.Diagnostics.Activity.Current?.TraceId.ToHexString(), cancellationToken);
    }

    // A write without a dedupe key (its key is new in this transaction) is deduplicated by its row id, as events are.
    private async Task<bool> AppendAsync(IStoreTransaction transaction, string tenant, Guid sessionId, string topic, string? dedupeKey, string payload, CancellationToken cancellationToken)
    {
        var id = ids.NewId();
        var appended = await outbox.AppendAsync(transaction, new OutboxMessage
        {
            Id = id,
            TenantId = tenant,
            Topic = topic,
            DedupeKey = dedupeKey ?? id.ToString(),
            PartitionKey = MemoryKeys.Partition(sessionId),
            Payload = payload,
            CreatedAt = time.GetUtcNow(),
        }, cancellationToken).ConfigureAwait(false);
        if (appended)
        {
            transaction.OnCommitted(() =>
            {
                backlog.Added(tenant, 1);
                signal.Notify();
            });
        }

        return appended;
    }
}
