using System.ComponentModel.DataAnnotations;

namespace Soma.Core.Outbox;

/// <summary>What every relay loop is configured with (<see cref="OutboxRelayWorker"/>): polling, leases and backoff.</summary>
public abstract class RelayLoopOptions
{
    /// <summary>How often an idle loop looks for rows committed by other processes, in milliseconds.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 250;

    /// <summary>How long claimed rows stay reserved for one loop, in seconds; a crashed loop's rows are taken over after it. Default 15.</summary>
    [Range(1, 3600)]
    public int LeaseSeconds { get; set; } = 15;

    /// <summary>The first backoff after a failed delivery, in milliseconds. Default 200.</summary>
    [Range(1, 60_000)]
    public int BackoffBaseMilliseconds { get; set; } = 200;

    /// <summary>The longest backoff, in seconds. Default 30.</summary>
    [Range(1, 3600)]
    public int BackoffMaxSeconds { get; set; } = 30;

    /// <summary>The route of these settings for <paramref name="topics"/>.</summary>
    public OutboxRoute Route(string name, IReadOnlyCollection<string> topics) =>
        new(name, topics, TimeSpan.FromSeconds(LeaseSeconds), TimeSpan.FromMilliseconds(BackoffBaseMilliseconds), TimeSpan.FromSeconds(BackoffMaxSeconds));
}
