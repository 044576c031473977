using System.Diagnostics;
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
        var all = new Dictionary<string, object?>(details)
        {
            ["reasons"] = decision.Reasons,
            ["engine"] = decision.Engine,
            ["duration_ms"] = Math.Round(decision.Duration.TotalMilliseconds, 3),
            ["cached"] = decision.Cached,
        };
        var detailsJson = JsonSerializer.SerializeToElement(all);
        await audit.AppendAsync(transaction, new AuditRecord(
            ids.NewId(), tenant, time, actor, action, resource, decision.Allow ? "allow" : "deny", reason, version,
            Activity.Current?.TraceId.ToHexString(), detailsJson.GetRawText()), cancellationToken).ConfigureAwait(false);
        await appendEvent(new AuditDecisionMade(actor, action, resource, decision.Allow ? AuditDecision.Allow : AuditDecision.Deny, version, reason.Length > 0 ? reason : null, detailsJson)).ConfigureAwait(false);
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
