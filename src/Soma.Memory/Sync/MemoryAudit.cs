using System.Diagnostics;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Storage;

namespace Soma.Memory.Sync;

/// <summary>
/// Audits what happens to memory writes outside a turn (a flush, a dead-lettered write): one audit-log row and one
/// <c>agent.audit.v1</c> event in the outbox, committed together.
/// </summary>
public sealed class MemoryAudit(IStore store, IAuditLog audit, IOutbox outbox, IIdGenerator ids, TimeProvider time)
{
    /// <summary>Writes the record.</summary>
    /// <param name="tenant">The tenant it concerns.</param>
    /// <param name="actor">Who acted (a token subject, or <c>memory-sync</c>).</param>
    /// <param name="action">E.g. <c>memory.flush</c> or <c>memory.dead_letter</c>.</param>
    /// <param name="resource">What it was done to.</param>
    /// <param name="reason">Why, for a person to read.</param>
    /// <param name="details">Facts (counts, keys); never secrets.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public async Task WriteAsync(string tenant, string actor, string action, string resource, string? reason, IReadOnlyDictionary<string, object?> details, CancellationToken cancellationToken = default)
    {
        var detailsJson = JsonSerializer.SerializeToElement(details);
        var context = EventContext.FromActivity(Activity.Current, tenant, "soma/memory", ids.NewId().ToString());
        var envelope = context.Create(new AuditActionTaken(actor, action, resource, AuditDecision.None, reason, detailsJson), ids, time);
        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await audit.AppendAsync(transaction, new AuditRecord(
                ids.NewId(), tenant, envelope.Time, actor, action, resource, "info", reason, null, Activity.Current?.TraceId.ToHexString(), detailsJson.GetRawText()), cancellationToken).ConfigureAwait(false);
            await outbox.AppendAsync(transaction, OutboxMessages.For(envelope, EventJson.Serialize(envelope), $"audit:{tenant}"), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
