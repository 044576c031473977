using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Soma.Core.Sandbox;

namespace Soma.Tools.Http;

/// <summary>
/// Where a call may connect, from the policy decision's obligation
/// <c>{"egress": {"hosts": ["example.com", "*.example.org", "api.example.com:8443"], "allow_private": false}}</c>.
/// A host without a port allows the scheme's default port only (80 for http, 443 for https); <c>*.</c> matches any
/// name below the domain (not the domain itself). No obligation, or no hosts, allows nothing. The same shape is read
/// for sandboxed tools' network access.
/// </summary>
/// <param name="Hosts">The allowed hosts.</param>
/// <param name="AllowPrivate">Whether private, loopback, link-local and unique-local addresses may be reached.</param>
public sealed record EgressGrant(IReadOnlyList<EgressHost> Hosts, bool AllowPrivate)
{
    /// <summary>Nothing allowed.</summary>
    public static EgressGrant None { get; } = new([], false);

    /// <summary>The grant in <paramref name="obligations"/> (<c>egress</c>), or <see cref="None"/>; malformed entries are skipped.</summary>
    public static EgressGrant From(JsonElement? obligations)
    {
        if (obligations is not { ValueKind: JsonValueKind.Object } root
            || !root.TryGetProperty("egress", out var egress) || egress.ValueKind != JsonValueKind.Object)
        {
            return None;
        }

        var hosts = new List<EgressHost>();
        if (egress.TryGetProperty("hosts", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && EgressHost.TryParse(item.GetString()!, out var host))
                {
                    hosts.Add(host);
                }
            }
        }

        var allowPrivate = egress.TryGetProperty("allow_private", out var flag) && flag.ValueKind == JsonValueKind.True;
        return new EgressGrant(hosts, allowPrivate);
    }

    /// <summary>The grant a sandboxed command carries (<see cref="SandboxCommand.Network"/>).</summary>
    public static EgressGrant From(SandboxNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var hosts = new List<EgressHost>();
        foreach (var text in network.AllowedHosts)
        {
            if (EgressHost.TryParse(text, out var host))
            {
                hosts.Add(host);
            }
        }

        return new EgressGrant(hosts, network.AllowPrivate);
    }

    /// <summary>This grant as a sandboxed command's network: <see cref="SandboxNetwork.None"/> when it allows nothing.</summary>
    public SandboxNetwork ToSandboxNetwork() =>
        Hosts.Count == 0 ? SandboxNetwork.None : new SandboxNetwork([.. Hosts.Select(h => h.Text)]) { AllowPrivate = AllowPrivate };

    /// <summary>Whether <paramref name="url"/>'s host and port are granted.</summary>
    public bool Allows(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Hosts.Any(h => h.Matches(url));
    }
}

/// <summary>One allowed host: a name (optionally <c>*.</c>-prefixed) or an IP address, and a port or none (the scheme's default).</summary>
/// <param name="Name">The lower-case host name, or the address's text.</param>
/// <param name="Wildcard">Whether any name below <paramref name="Name"/> matches.</param>
/// <param name="Address">The address, when the host is an IP literal.</param>
/// <param name="Port">The port, or null for the scheme's default.</param>
public sealed record EgressHost(string Name, bool Wildcard, IPAddress? Address, int? Port)
{
    /// <summary>Parses <c>host</c>, <c>host:port</c>, <c>*.domain</c>, <c>1.2.3.4:80</c> or <c>[::1]:8080</c>.</summary>
    public static bool TryParse(string text, out EgressHost host)
    {
        ArgumentNullException.ThrowIfNull(text);
        host = null!;
        var value = text.Trim().ToLowerInvariant();
        string name;
        int? port = null;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            name = value[1..close];
            var rest = value[(close + 1)..];
            if (rest.Length > 0 && !(rest.StartsWith(':') && TryPort(rest[1..], out port)))
            {
                return false;
            }
        }
        else
        {
            var colon = value.LastIndexOf(':');
            name = colon < 0 ? value : value[..colon];
            if (colon >= 0 && !TryPort(value[(colon + 1)..], out port))
            {
                return false;
            }
        }

        var wildcard = name.StartsWith("*.", StringComparison.Ordinal);
        if (wildcard)
        {
            name = name[2..];
        }

        if (name.Length == 0 || name.Contains('*', StringComparison.Ordinal))
        {
            return false;
        }

        var address = !wildcard && IPAddress.TryParse(name, out var parsed) ? parsed : null;
        host = new EgressHost(name.TrimEnd('.'), wildcard, address, port);
        return true;
    }

    /// <summary>The host as written in a grant (<c>*.example.org</c>, <c>[::1]:8080</c>); <see cref="TryParse"/> reads it back.</summary>
    public string Text =>
        (Wildcard ? "*." : string.Empty) + (Address?.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Name}]" : Name) + (Port is { } port ? $":{port}" : string.Empty);

    /// <summary>Whether <paramref name="url"/> (its IDN host and port) is this host.</summary>
    public bool Matches(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (Port is { } port ? url.Port != port : !url.IsDefaultPort)
        {
            return false;
        }

        var urlHost = url.IdnHost.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        if (Address is not null || url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            return Address is not null && IPAddress.TryParse(urlHost, out var urlAddress) && urlAddress.Equals(Address);
        }

        return Wildcard
            ? urlHost.EndsWith("." + Name, StringComparison.Ordinal)
            : urlHost == Name;
    }

    private static bool TryPort(string text, out int? port)
    {
        port = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 65535 ? value : null;
        return port is not null;
    }
}
