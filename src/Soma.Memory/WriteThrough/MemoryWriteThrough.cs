using System.Text.Json;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Memory.Protocol;
using Soma.Memory.Sync;

namespace Soma.Memory.WriteThrough;

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
    public async Task<bool> RememberAsync(
        IStoreTransaction transaction, string tenant, Guid sessionId, string key, JsonElement value, IReadOnlyList<string> tags,
        IReadOnlyList<MemoryLink>? links, string? traceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var request = new RememberRequest(tenant, _namespace, key, value, tags, links is { Count: > 0 } ? links : null, traceId);
        var appended = await AppendAsync(transaction, tenant, sessionId, MemoryKeys.RememberTopic, key,
            JsonSerializer.Serialize(request, MemoryJson.Default.RememberRequest), cancellationToken).ConfigureAwait(false);
        return appended;
    }

    /// <summary>Appends a link between two memories of the tenant inside <paramref name="transaction"/>, ordered after the session's earlier writes.</summary>
    public Task<bool> LinkAsync(IStoreTransaction transaction, string tenant, Guid sessionId, LinkRequest link, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        return AppendAsync(transaction, tenant, sessionId, MemoryKeys.LinkTopic, $"{link.FromKey}>{link.Type}>{link.ToKey}",
            JsonSerializer.Serialize(link, MemoryJson.Default.LinkRequest), cancellationToken);
    }

    private async Task<bool> AppendAsync(IStoreTransaction transaction, string tenant, Guid sessionId, string topic, string dedupeKey, string payload, CancellationToken cancellationToken)
    {
        var appended = await outbox.AppendAsync(transaction, new OutboxMessage
        {
            Id = ids.NewId(),
            TenantId = tenant,
            Topic = topic,
            DedupeKey = dedupeKey,
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
