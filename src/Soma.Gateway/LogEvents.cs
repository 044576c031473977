namespace Soma.Gateway;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Gateway takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>MemoryEndpoints</c>.</summary>
    public const int MemoryEndpointsRecallFailed = 5201;

    /// <summary>Logged by <c>KeyRingProvider</c>: a new version of the signing keys is in use.</summary>
    public const int SigningKeysLoaded = 5301;

    /// <summary>Logged by <c>KeyRingProvider</c>: the key source could not be read; the last good ring stays.</summary>
    public const int SigningKeysReloadFailed = 5302;

    /// <summary>Logged by <c>KeyRingProvider</c>: the key source is readable again.</summary>
    public const int SigningKeysRecovered = 5303;
}
