namespace Soma.Policy;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Policy takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaTimedOut = 8001;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaHttpError = 8002;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaUnreachable = 8003;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaAnswerNotJson = 8004;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaDecisionMalformed = 8005;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaUndefined = 8006;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaBreakerRejected = 8007;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaBreakerOpened = 8008;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaBreakerHalfOpened = 8009;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaBreakerClosed = 8010;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaBadQuery = 8011;

    /// <summary>Logged by <c>OpaLog</c>.</summary>
    public const int OpaNotConfigured = 8012;

    /// <summary>Logged by <c>PolicyNode</c>.</summary>
    public const int PolicyNodeEngineFailed = 8101;

    /// <summary>Logged by <c>PolicyNode</c>.</summary>
    public const int PolicyNodeFailedClosed = 8102;

    /// <summary>Logged by <c>PolicyReloader</c>.</summary>
    public const int PolicyReloaderLoaded = 8103;

    /// <summary>Logged by <c>PolicyReloader</c>.</summary>
    public const int PolicyReloaderLoadFailed = 8104;

    /// <summary>Logged by <c>PolicyReloader</c>.</summary>
    public const int PolicyReloaderReadFailed = 8105;
}
