using Soma.Core.Storage;

namespace Soma.Core.Outbox;

/// <summary>
/// Where one <see cref="OutboxRoute"/> delivers: the event bus, the memory service. The relay claims rows and hands them
/// over in order; the sink says, per row, what became of it. It never touches the outbox itself.
/// </summary>
public interface IOutboxSink
{
    /// <summary>
    /// Delivers <paramref name="entries"/> in order and reports what happened. Stops at the first transient failure
    /// (peer down, breaker open): the rows from <see cref="SinkResult.Handled"/> on go back to the outbox uncounted.
    /// </summary>
    Task<SinkResult> DeliverAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken);

    /// <summary>Called after <paramref name="sent"/> were marked sent (metrics, caches, backlogs).</summary>
    Task OnSentAsync(IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called after <paramref name="entry"/> was dead-lettered for <paramref name="reason"/> (audit, metrics).</summary>
    Task OnDeadLetteredAsync(OutboxEntry entry, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What a sink did with the rows it was given.</summary>
public sealed class SinkResult
{
    /// <summary>Rows the destination took.</summary>
    public List<OutboxEntry> Sent { get; } = [];

    /// <summary>Rows the destination refused: retried later with backoff (counted as attempts), or dead-lettered now.</summary>
    public List<OutboxRefusal> Refused { get; } = [];

    /// <summary>How many of the given rows (from the first) have an outcome; the rest were not tried.</summary>
    public int Handled { get; set; }

    /// <summary>Why delivery stopped early and gave the rest back, or null when every row was handled.</summary>
    public string? TransientError { get; set; }
}

/// <summary>A row the destination would not take.</summary>
/// <param name="Entry">The row.</param>
/// <param name="Reason">Why, for the row's last error and the audit log.</param>
/// <param name="DeadLetterNow">True when retrying cannot help (the row itself is wrong): dead-letter it at once.</param>
public sealed record OutboxRefusal(OutboxEntry Entry, string Reason, bool DeadLetterNow = false);
