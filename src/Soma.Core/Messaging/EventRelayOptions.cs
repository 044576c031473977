using System.ComponentModel.DataAnnotations;

namespace Soma.Core.Messaging;

/// <summary>
/// The event relay (role <c>relay</c>): outbox → bus, bound from <c>Soma:Relay</c>; polling (default 250 ms), lease and
/// backoff as every relay loop (<see cref="Outbox.RelayLoopOptions"/>).
/// </summary>
public sealed class EventRelayOptions : Outbox.RelayLoopOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Relay";

    /// <summary>Events claimed and published per pass (publishes of a pass are pipelined). Default 200.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 200;
}
