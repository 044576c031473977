using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

/// <summary>One NATS operation of the worker side, queued in the order the server must see it.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Session">The session.</param>
/// <param name="Message">The live message (<see cref="LiveOperationKind.Publish"/>).</param>
internal readonly record struct LiveOperation(LiveOperationKind Kind, SessionKey Session, LiveMessage? Message = null);

/// <summary>The kinds of <see cref="LiveOperation"/>.</summary>
internal enum LiveOperationKind
{
    /// <summary>Subscribe to the session's snapshot subject (the first answer in progress of the session in this process).</summary>
    Respond,

    /// <summary>Unsubscribe from it (the last answer ended).</summary>
    StopResponding,

    /// <summary>Publish a live message.</summary>
    Publish,
}
