namespace Soma.Messaging.Nats;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Messaging.Nats takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>NatsEventBus</c>.</summary>
    public const int NatsEventBusStreamPrepared = 6001;

    /// <summary>Logged by <c>NatsEventBus</c>.</summary>
    public const int NatsEventBusServerError = 6002;

    /// <summary>Logged by <c>NatsEventBus</c>.</summary>
    public const int NatsEventBusEphemeralNotDeleted = 6003;

    /// <summary>Logged by <c>NatsWakeBus</c>.</summary>
    public const int NatsWakeBusWakeLost = 6011;

    /// <summary>Logged by <c>NatsWakeBus</c>.</summary>
    public const int NatsWakeBusListenFailed = 6012;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveOperationFailed = 7101;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveBacklogFull = 7102;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveBacklogDrained = 7103;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveSnapshotReplyFailed = 7104;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveSnapshotTimedOut = 7105;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveMalformedMessage = 7106;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveMalformedSnapshot = 7107;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveMissedDeltas = 7108;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveFellBehind = 7109;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveUnseenStart = 7110;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LivePumpFailed = 7111;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveMissedToolDeltas = 7112;

    /// <summary>Logged by <c>LiveLog</c>.</summary>
    public const int LiveUnseenToolStart = 7113;
}
