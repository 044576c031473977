using System.Net;
using System.Net.Sockets;

namespace Soma.Tools.Http;

/// <summary>
/// Which addresses a tool may never reach, checked on the address actually connected (after DNS): private,
/// loopback, link-local, unique-local and shared (CGNAT) ranges unless the grant allows private ones; unspecified,
/// multicast, broadcast, documentation and reserved ranges always. IPv6 forms that carry an IPv4 address (mapped,
/// compatible, NAT64, 6to4) are judged by that address.
/// </summary>
public static class EgressAddresses
{
    private static readonly (IPAddress Network, int Prefix, string Range, bool Private)[] V4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8, "unspecified (0.0.0.0/8)", false),
        (IPAddress.Parse("10.0.0.0"), 8, "private (10.0.0.0/8)", true),
        (IPAddress.Parse("100.64.0.0"), 10, "shared address space (100.64.0.0/10)", true),
        (IPAddress.Parse("127.0.0.0"), 8, "loopback (127.0.0.0/8)", true),
        (IPAddress.Parse("169.254.0.0"), 16, "link-local (169.254.0.0/16)", true),
        (IPAddress.Parse("172.16.0.0"), 12, "private (172.16.0.0/12)", true),
        (IPAddress.Parse("192.0.0.0"), 24, "IETF protocol assignments (192.0.0.0/24)", false),
        (IPAddress.Parse("192.0.2.0"), 24, "documentation (192.0.2.0/24)", false),
        (IPAddress.Parse("192.168.0.0"), 16, "private (192.168.0.0/16)", true),
        (IPAddress.Parse("198.18.0.0"), 15, "benchmarking (198.18.0.0/15)", false),
        (IPAddress.Parse("198.51.100.0"), 24, "documentation (198.51.100.0/24)", false),
        (IPAddress.Parse("203.0.113.0"), 24, "documentation (203.0.113.0/24)", false),
        (IPAddress.Parse("224.0.0.0"), 4, "multicast (224.0.0.0/4)", false),
        (IPAddress.Parse("240.0.0.0"), 4, "reserved (240.0.0.0/4)", false),
    ];

    private static readonly (IPAddress Network, int Prefix, string Range, bool Private)[] V6 =
    [
        (IPAddress.Parse("fc00::"), 7, "unique-local (fc00::/7)", true),
        (IPAddress.Parse("fe80::"), 10, "link-local (fe80::/10)", true),
        (IPAddress.Parse("fec0::"), 10, "site-local (fec0::/10)", true),
        (IPAddress.Parse("ff00::"), 8, "multicast (ff00::/8)", false),
        (IPAddress.Parse("2001:db8::"), 32, "documentation (2001:db8::/32)", false),
        (IPAddress.Parse("100::"), 64, "discard (100::/64)", false),
    ];

    private static readonly IPAddress Nat64 = IPAddress.Parse("64:ff9b::");
    private static readonly IPAddress SixToFour = IPAddress.Parse("2002::");

    /// <summary>Why <paramref name="address"/> may not be reached under a grant that does or does not allow private ranges, or null when it may.</summary>
    public static string? Refusal(IPAddress address, bool allowPrivate)
    {
        ArgumentNullException.ThrowIfNull(address);
        var (range, isPrivate) = Classify(address);
        return range is null || (isPrivate && allowPrivate) ? null : range;
    }

    /// <summary>The range <paramref name="address"/> is in, and whether <c>allow_private</c> opens it; (null, false) for a public address.</summary>
    public static (string? Range, bool Private) Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (address.Equals(IPAddress.Broadcast))
            {
                return ("broadcast (255.255.255.255)", false);
            }

            foreach (var (network, prefix, range, isPrivate) in V4)
            {
                if (InPrefix(address, network, prefix))
                {
                    return (range, isPrivate);
                }
            }

            return (null, false);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return ("not an IP address", false);
        }

        if (address.Equals(IPAddress.IPv6None))
        {
            return ("unspecified (::)", false);
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return ("loopback (::1)", true);
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return Embedded(address.MapToIPv4(), "IPv4-mapped");
        }

        var bytes = address.GetAddressBytes();
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            // ::a.b.c.d, the deprecated IPv4-compatible form.
            return Embedded(new IPAddress(bytes.AsSpan(12, 4)), "IPv4-compatible");
        }

        if (InPrefix(address, Nat64, 96))
        {
            return Embedded(new IPAddress(bytes.AsSpan(12, 4)), "NAT64");
        }

        if (InPrefix(address, SixToFour, 16))
        {
            return Embedded(new IPAddress(bytes.AsSpan(2, 4)), "6to4");
        }

        foreach (var (network, prefix, range, isPrivate) in V6)
        {
            if (InPrefix(address, network, prefix))
            {
                return (range, isPrivate);
            }
        }

        return (null, false);
    }

    private static (string? Range, bool Private) Embedded(IPAddress v4, string form)
    {
        var (range, isPrivate) = Classify(v4);
        return range is null ? (null, false) : ($"{range} as {form} IPv6", isPrivate);
    }

    private static bool InPrefix(IPAddress address, IPAddress network, int prefix)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        if (a.Length != n.Length)
        {
            return false;
        }

        var full = prefix / 8;
        if (!a.AsSpan(0, full).SequenceEqual(n.AsSpan(0, full)))
        {
            return false;
        }

        var bits = prefix % 8;
        if (bits == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - bits));
        return (a[full] & mask) == (n[full] & mask);
    }
}
