using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Soma.Core.Storage;
using Soma.Core.Telemetry;

namespace Soma.Core.Outbox;

/// <summary>
/// The one way outbox rows leave: claim a batch of a route's topics under a lease (oldest first, in partition order),
/// hand it to the route's sink, then record each outcome — sent rows marked sent, refused rows scheduled again with
/// backoff (or dead-lettered at once when retrying cannot help, or after <c>Soma:Outbox:MaxAttempts</c>), and rows the
/// sink never tried (its peer is down) released without counting an attempt, so no outage dead-letters anything.
/// The event relay and the memory sync worker are its two users.
/// </summary>
public sealed partial class OutboxRelay(IOutbox outbox, TimeProvider time, ILogger<OutboxRelay> logger, IMeterFactory? meterFactory = null)
{
    private readonly Counter<long>? _relayed = meterFactory is null ? null : SomaMeters.OutboxRelayed.CreateCounter<long>(meterFactory.Create(SomaMeters.Outbox));

    /// <summary>Claims up to <paramref name="batchSize"/> rows of <paramref name="route"/> (of one tenant, or all) and delivers them through <paramref name="sink"/>.</summary>
    public Task<RelayPass> PassAsync(OutboxRoute route, IOutboxSink sink, string leaseOwner, int batchSize, string? tenant, CancellationToken cancellationToken) =>
        PassAsync(route, sink, leaseOwner, batchSize, tenant, acknowledged: null, deferAcknowledgement: false, cancellationToken);

    /// <summary>
    /// As <see cref="PassAsync(OutboxRoute, IOutboxSink, string, int, string?, CancellationToken)"/>, with the marks of
    /// delivered rows carried from pass to pass: the claim first marks <paramref name="acknowledged"/> sent (the previous
    /// pass's <see cref="RelayPass.Unacknowledged"/>) in its own commit, and with <paramref name="deferAcknowledgement"/>
    /// the rows this pass delivers are returned unmarked, still leased, for the next pass. A loop going straight into its
    /// next pass saves one commit per pass; a loop about to wait marks them with <see cref="AcknowledgeAsync"/> first.
    /// Rows delivered but never marked (the process died) are delivered again when their lease runs out.
    /// </summary>
    public async Task<RelayPass> PassAsync(
        OutboxRoute route, IOutboxSink sink, string leaseOwner, int batchSize, string? tenant, IReadOnlyCollection<Guid>? acknowledged, bool deferAcknowledgement,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(sink);
        var entries = await outbox.ClaimAsync(
            new OutboxClaimRequest(leaseOwner, batchSize, route.Lease) { TenantId = tenant, Topics = route.Topics, InPartitionOrder = route.InPartitionOrder, Acknowledged = acknowledged },
            cancellationToken).ConfigureAwait(false);
        if (acknowledged is { Count: > 0 })
        {
            _relayed?.Add(acknowledged.Count, new KeyValuePair<string, object?>("route", route.Name));
        }

        if (entries.Count == 0)
        {
            return new RelayPass(0, 0, 0, 0, null);
        }

        SinkResult result;
        try
        {
            result = await sink.DeliverAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A sink that throws is a bug or an unexpected peer failure: nothing was recorded, so give every row back.
            LogSinkFailed(logger, route.Name, ex);
            result = new SinkResult { TransientError = $"the {route.Name} sink failed: {ex.GetType().Name}" };
        }

        Guid[] unacknowledged = [];
        if (result.Sent.Count > 0)
        {
            if (deferAcknowledgement)
            {
                unacknowledged = [.. result.Sent.Select(e => e.Message.Id)];
            }
            else
            {
                await AcknowledgeAsync(route, leaseOwner, [.. result.Sent.Select(e => e.Message.Id)], cancellationToken).ConfigureAwait(false);
            }

            await sink.OnSentAsync(result.Sent, cancellationToken).ConfigureAwait(false);
        }

        var deadLettered = 0;
        foreach (var refusal in result.Refused)
        {
            var entry = refusal.Entry;
            var dead = refusal.DeadLetterNow
                ? await outbox.DeadLetterAsync(leaseOwner, entry.Message.Id, refusal.Reason, cancellationToken).ConfigureAwait(false)
                : await outbox.MarkFailedAsync(leaseOwner, entry.Message.Id, refusal.Reason, time.GetUtcNow() + route.Backoff(entry.Attempts), cancellationToken).ConfigureAwait(false)
                    == OutboxFailureOutcome.DeadLettered;
            if (dead)
            {
                deadLettered++;
                LogDeadLettered(logger, route.Name, entry.Message.Topic, entry.Message.Id, entry.Attempts, refusal.Reason);
                await sink.OnDeadLetteredAsync(entry, refusal.Reason, cancellationToken).ConfigureAwait(false);
            }
        }

        if (result.TransientError is not null && result.Handled < entries.Count)
        {
            // The destination never took these: give them back without counting an attempt.
            var rest = entries.Skip(result.Handled).Select(e => e.Message.Id).ToArray();
            await outbox.ReleaseAsync(leaseOwner, rest, time.GetUtcNow(), result.TransientError, CancellationToken.None).ConfigureAwait(false);
        }

        return new RelayPass(entries.Count, result.Sent.Count, result.Refused.Count, deadLettered, result.TransientError) { Unacknowledged = unacknowledged };
    }

    /// <summary>Marks delivered rows sent in a commit of their own (rows no longer leased to <paramref name="leaseOwner"/> are left, with a warning).</summary>
    public async Task AcknowledgeAsync(OutboxRoute route, string leaseOwner, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        var marked = await outbox.MarkSentAsync(leaseOwner, ids, cancellationToken).ConfigureAwait(false);
        if (marked < ids.Count)
        {
            LogLeaseLost(logger, route.Name, ids.Count - marked);
        }

        _relayed?.Add(marked, new KeyValuePair<string, object?>("route", route.Name));
    }

    [LoggerMessage(EventId = LogEvents.OutboxRelayLeaseLost, Level = LogLevel.Warning, Message = "{Route}: {Count} delivered rows were no longer leased to this relay (another may deliver them again; their keys make that harmless)")]
    private static partial void LogLeaseLost(ILogger logger, string route, int count);

    [LoggerMessage(EventId = LogEvents.OutboxRelaySinkFailed, Level = LogLevel.Error, Message = "{Route}: the sink failed; the batch goes back to the outbox")]
    private static partial void LogSinkFailed(ILogger logger, string route, Exception exception);

    [LoggerMessage(EventId = LogEvents.OutboxRelayDeadLettered, Level = LogLevel.Warning, Message = "{Route}: dead-lettered {Topic} {Id} after {Attempts} attempt(s): {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string route, string topic, Guid id, int attempts, string reason);
}
