namespace Soma.Core.Messaging;

/// <summary>Limits of the <see cref="InProcessEventBus"/>.</summary>
public sealed class InProcessEventBusOptions
{
    /// <summary>The most messages the bus keeps; the oldest go first. Default 100,000.</summary>
    public int MaxMessages { get; set; } = 100_000;

    /// <summary>How long a message id is remembered to refuse a duplicate. Default 2 minutes (as the NATS stream).</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The schemas whose subjects (<c>soma.{tenant}.{schema}</c>) the bus accepts. Default
    /// <see cref="EventSubjects.EventSchemas"/>, the same list the NATS stream takes.
    /// </summary>
    public IReadOnlyCollection<string> Schemas { get; set; } = EventSubjects.EventSchemas;
}
