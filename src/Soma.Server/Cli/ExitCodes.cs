namespace Soma.Server.Cli;

/// <summary>Exit codes shared by every verb, documented in docs/reference/cli.md.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The work was done and found a problem (e.g. an invalid event), or a runtime failure.</summary>
    public const int Failed = 1;

    /// <summary>The input or configuration could not be used (bad option, unreadable file, invalid setting).</summary>
    public const int BadInput = 2;
}
