using System.ComponentModel.DataAnnotations;

namespace Soma.Core.Messaging;

/// <summary>The event relay (role <c>relay</c>): outbox → bus, bound from <c>Soma:Relay</c>.</summary>
public sealed class EventRelayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Relay";

    /// <summary>Events claimed and published per pass (publishes of a pass are pipelined). Default 200.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>How often an idle relay looks for events committed by other processes, in milliseconds. Default 250.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 250;

    /// <summary>How long claimed events stay reserved for one relay, in seconds. Default 15.</summary>
    [Range(1, 3600)]
    public int LeaseSeconds { get; set; } = 15;

    /// <summary>The first backoff after the bus failed, in milliseconds. Default 200.</summary>
    [Range(1, 60_000)]
    public int BackoffBaseMilliseconds { get; set; } = 200;

    /// <summary>The longest backoff, in seconds. Default 30.</summary>
    [Range(1, 3600)]
    public int BackoffMaxSeconds { get; set; } = 30;
}
