namespace Soma.Core.Messaging;

/// <summary>
/// Where events leave the process: a log of subjects that keeps messages for consumers. Publishing is at least once
/// from the caller's side and exactly once in the log (a message id seen within the duplicate window is not stored
/// twice); consumers read a subject pattern in publish order per subject and acknowledge what they handled. A durable
/// consumer (one with a name) is shared by every subscriber that uses the name: each message goes to one of them, and a
/// message that none acknowledged within the ack wait (its subscriber died) is delivered again.
/// </summary>
/// <remarks>
/// Adapters: the in-process bus (the embedded default: nothing to start, nothing survives the process) and NATS JetStream
/// (<c>Soma.Messaging.Nats</c>). Both pass the same compliance suite. Callers validate an event before they publish it
/// (the outbox relay does); the bus carries bytes.
/// </remarks>
public interface IEventBus
{
    /// <summary>The adapter's name, for health and logs: <c>in-process</c> or <c>nats</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Creates or updates what the bus needs before anything is published (the JetStream stream, its subjects, retention
    /// and duplicate window). Safe to call from many processes at once and again at every start.
    /// </summary>
    /// <exception cref="EventBusException">The bus cannot be reached or refused the set-up.</exception>
    Task PrepareAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes <paramref name="message"/> and waits until the bus has stored it. Publishing the same
    /// <see cref="BusMessage.Id"/> again within the duplicate window stores nothing and answers
    /// <see cref="BusPublishResult.Duplicate"/> = true.
    /// </summary>
    /// <exception cref="EventBusException">
    /// Not stored; <see cref="EventBusException.IsTransient"/> says whether trying again may help. A subject the bus does not
    /// store (anything but <c>soma.{tenant}.{schema}</c> of a known schema, e.g. a live subject) is refused, not transient.
    /// </exception>
    Task<BusPublishResult> PublishAsync(BusMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the messages whose subject matches <see cref="BusSubscription.Subject"/> (NATS wildcards: <c>*</c> one token,
    /// <c>&gt;</c> the rest), in publish order per subject, until <paramref name="cancellationToken"/> is cancelled. A
    /// subscriber that stops reading without acknowledging leaves its messages to be delivered again (durable consumers).
    /// </summary>
    /// <exception cref="EventBusException">
    /// The subscription could not be made: the bus is unreachable (transient), or the pattern matches no subject the bus
    /// stores (not transient).
    /// </exception>
    IAsyncEnumerable<BusDelivery> SubscribeAsync(BusSubscription subscription, CancellationToken cancellationToken = default);
}
