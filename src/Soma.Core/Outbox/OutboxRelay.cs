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
    public async Task<RelayPass> PassAsync(OutboxRoute route, IOutboxSink sink, string leaseOwner, int batchSize, string? tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(sink);
        var entries = await outbox.ClaimAsync(
            new OutboxClaimRequest(leaseOwner, batchSize, route.Lease) { TenantId = tenant, Topics = route.Topics, InPartitionOrder = route.InPartitionOrder },
            cancellationToken).ConfigureAwait(false);
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

        if (result.Sent.Count > 0)
        {
            var marked = await outbox.MarkSentAsync(leaseOwner, [.. result.Sent.Select(e => e.Message.Id)], cancellationToken).ConfigureAwait(false);
            if (marked < result.Sent.Count)
            {
                LogLeaseLost(logger, route.Name, result.Sent.Count - marked);
            }

            _relayed?.Add(marked, new KeyValuePair<string, object?>("route", route.Name));

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

        return new RelayPass(entries.Count, result.Sent.Count, result.Refused.Count, deadLettered, result.TransientError);
    }

    [LoggerMessage(EventId = LogEvents.OutboxRelayLeaseLost, Level = LogLevel.Warning, Message = "{Route}: {Count} delivered rows were no longer leased to this relay (another may deliver them again; their keys make that harmless)")]
    private static partial void LogLeaseLost(ILogger logger, string route, int count);

    [LoggerMessage(EventId = LogEvents.OutboxRelaySinkFailed, Level = LogLevel.Error, Message = "{Route}: the sink failed; the batch goes back to the outbox")]
    private static partial void LogSinkFailed(ILogger logger, string route, Exception exception);

    [LoggerMessage(EventId = LogEvents.OutboxRelayDeadLettered, Level = LogLevel.Warning, Message = "{Route}: dead-lettered {Topic} {Id} after {Attempts} attempt(s): {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string route, string topic, Guid id, int attempts, string reason);
}
