namespace Soma.Core;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Core takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>OutboxMonitor</c>.</summary>
    public const int OutboxMonitorReadFailed = 2001;

    /// <summary>Logged by <c>OutboxRelay</c>.</summary>
    public const int OutboxRelayLeaseLost = 2011;

    /// <summary>Logged by <c>OutboxRelay</c>.</summary>
    public const int OutboxRelaySinkFailed = 2012;

    /// <summary>Logged by <c>OutboxRelay</c>.</summary>
    public const int OutboxRelayDeadLettered = 2013;

    /// <summary>Logged by <c>OutboxRelayWorker</c>.</summary>
    public const int OutboxRelayWorkerPassFailed = 2014;

    /// <summary>Logged by <c>EventPublishSink</c>.</summary>
    public const int EventPublishSinkRejected = 2021;

    /// <summary>Logged by <c>EventRelayWorker</c>.</summary>
    public const int EventRelayWorkerPrepareFailed = 2022;

    /// <summary>Logged by <c>OutboxPruner</c>.</summary>
    public const int OutboxPrunerPruned = 2031;

    /// <summary>Logged by <c>OutboxPruner</c>.</summary>
    public const int OutboxPrunerPruneFailed = 2032;
}
