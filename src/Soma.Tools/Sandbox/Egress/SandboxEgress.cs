using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Soma.Core.Sandbox;
using Soma.Core.Telemetry;

namespace Soma.Tools.Sandbox.Egress;

/// <summary>
/// Network for sandboxed calls the policy grants egress: each such call gets its own filtering proxy
/// (<see cref="EgressProxy"/>) on a Unix socket bound into the sandbox, where the launcher relays
/// <c>127.0.0.1:3128</c> to it. The proxy lets through only the grant's hosts and ports, resolves names itself and
/// connects only to the addresses it checked. Every decision is logged and counted (<c>soma.sandbox.egress</c> by
/// <c>decision</c>: <c>allowed</c>, <c>refused</c>, <c>failed</c>, <c>invalid</c>).
/// </summary>
public sealed class SandboxEgress
{
    /// <summary>The port the proxy answers on inside the sandbox (on its loopback).</summary>
    public const int RelayPort = 3128;

    /// <summary>Where the proxy's socket is bound inside the sandbox.</summary>
    public const string SocketInSandbox = "/.soma/egress.sock";

    private readonly Counter<long> _decisions;

    /// <summary>Creates the egress service; its counter is on the <see cref="ToolSandboxes.MeterName"/> meter.</summary>
    public SandboxEgress(ILogger<SandboxEgress> logger, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Logger = logger;
        _decisions = SomaMeters.SandboxEgress.CreateCounter<long>(meters.Create(ToolSandboxes.MeterName));
    }

    /// <summary>The proxy's values for the sandbox's environment (<c>HTTP_PROXY</c> and its kin; <c>NO_PROXY</c> empty).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Environment { get; } =
    [
        new("HTTP_PROXY", $"http://127.0.0.1:{RelayPort}"),
        new("HTTPS_PROXY", $"http://127.0.0.1:{RelayPort}"),
        new("http_proxy", $"http://127.0.0.1:{RelayPort}"),
        new("https_proxy", $"http://127.0.0.1:{RelayPort}"),
        new("NO_PROXY", string.Empty),
        new("no_proxy", string.Empty),
    ];

    internal ILogger Logger { get; }

    /// <summary>Starts a proxy for one call under <paramref name="network"/>'s grant; dispose it when the call ends.</summary>
    internal EgressProxy Start(SandboxNetwork network) => EgressProxy.Start(network, this);

    internal void Count(string decision) => _decisions.Add(1, new KeyValuePair<string, object?>("decision", decision));
}
