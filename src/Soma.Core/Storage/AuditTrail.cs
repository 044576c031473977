using System.Diagnostics;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;

namespace Soma.Core.Storage;

/// <summary>
/// Audits what a background component or an operator did outside a turn (a memory flush, a dead-lettered memory write,
/// an event refused by its schema): one audit-log row and one <c>agent.audit.v1</c> event in the outbox, committed together.
/// </summary>
public sealed class AuditTrail(IStore store, IAuditLog audit, IOutbox outbox, IIdGenerator ids, TimeProvider time)
{
    /// <summary>Writes the record.</summary>
    /// <param name="source">The event's source, e.g. <c>soma/memory</c> or <c>soma/relay</c>.</param>
    /// <param name="tenant">The tenant it concerns.</param>
    /// <param name="actor">Who acted (a token subject, or a component: <c>memory-sync</c>, <c>relay</c>).</param>
    /// <param name="action">E.g. <c>memory.flush</c>, <c>memory.dead_letter</c>, <c>event.rejected</c>.</param>
    /// <param name="resource">What it was done to.</param>
    /// <param name="reason">Why, for a person to read.</param>
    /// <param name="details">Facts (counts, keys); never secrets.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public async Task WriteAsync(string source, string tenant, string actor, string action, string resource, string? reason, IReadOnlyDictionary<string, object?> details, CancellationToken cancellationToken = default)
    {
        var detailsJson = JsonSerializer.SerializeToElement(details);
        var context = EventContext.FromActivity(Activity.Current, tenant, source, ids.NewId().ToString());
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
