namespace Soma.Core.Messaging;

/// <summary>What a consumer reads.</summary>
/// <param name="Subject">A subject or pattern: <c>soma.acme.&gt;</c> for one tenant's events.</param>
public sealed record BusSubscription(string Subject)
{
    /// <summary>
    /// The durable consumer's name: subscribers with the same name share its messages and its position, which outlives
    /// them. Null for an ephemeral consumer that ends with its subscriber.
    /// </summary>
    public string? DurableName { get; init; }

    /// <summary>Where a new consumer starts. Default <see cref="BusDeliverFrom.All"/>.</summary>
    public BusDeliverFrom DeliverFrom { get; init; } = BusDeliverFrom.All;

    /// <summary>When <see cref="DeliverFrom"/> is <see cref="BusDeliverFrom.Time"/>: the first message stored at or after this time.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>How long a delivered message may stay unacknowledged before it is delivered again. Default 30 s.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Where a new consumer starts reading.</summary>
public enum BusDeliverFrom
{
    /// <summary>Every message the bus still holds.</summary>
    All,

    /// <summary>Only messages published after the subscription.</summary>
    New,

    /// <summary>Messages stored at or after <see cref="BusSubscription.StartTime"/>.</summary>
    Time,
}
