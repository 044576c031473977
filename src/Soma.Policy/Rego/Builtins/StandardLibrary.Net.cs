using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddNet(List<Builtin> all)
    {
        Add(all, "net.cidr_contains", 2, (_, a) =>
        {
            var network = Cidr(a[0], "net.cidr_contains") ?? throw Error("net.cidr_contains", $"invalid CIDR address: {ArgString("net.cidr_contains", a[0])}");
            var text = ArgString("net.cidr_contains", a[1]);
            var inner = text.Contains('/', StringComparison.Ordinal) ? ParseCidr(text) : IPAddress.TryParse(text, out var ip) ? (ip.GetAddressBytes(), ip.GetAddressBytes().Length * 8) : null;
            if (inner is not { } sub)
            {
                throw Error("net.cidr_contains", $"invalid CIDR address or IP: {text}");
            }

            return Value.Bool(sub.Prefix >= network.Prefix && InNetwork(network, sub.Address));
        });
        Add(all, "net.cidr_intersects", 2, (_, a) =>
        {
            var left = Cidr(a[0], "net.cidr_intersects") ?? throw Error("net.cidr_intersects", $"invalid CIDR address: {a[0]}");
            var right = Cidr(a[1], "net.cidr_intersects") ?? throw Error("net.cidr_intersects", $"invalid CIDR address: {a[1]}");
            return Value.Bool(InNetwork(left, right.Address) || InNetwork(right, left.Address));
        });
        Add(all, "net.cidr_is_valid", 1, (_, a) => Value.Bool(a[0] is StringValue s && ParseCidr(s.Value) is not null));
        Add(all, "net.cidr_expand", 1, (_, a) =>
        {
            var network = Cidr(a[0], "net.cidr_expand") ?? throw Error("net.cidr_expand", $"invalid CIDR address: {a[0]}");
            var hostBits = (network.Address.Length * 8) - network.Prefix;
            if (hostBits > 16)
            {
                throw Error("net.cidr_expand", "the network is too large to expand (more than 65536 addresses)");
            }

            var first = Masked(network);
            var items = new List<Value>(1 << hostBits);
            for (var i = 0; i < 1 << hostBits; i++)
            {
                var bytes = (byte[])first.Clone();
                var carry = i;
                for (var b = bytes.Length - 1; b >= 0 && carry > 0; b--)
                {
                    var sum = bytes[b] + (carry & 0xFF);
                    bytes[b] = (byte)sum;
                    carry = (carry >> 8) + (sum >> 8);
                }

                items.Add(Value.String(new IPAddress(bytes).ToString()));
            }

            return Value.Set(items);
        });
    }

    private static (byte[] Address, int Prefix)? Cidr(Value value, string name) => ParseCidr(ArgString(name, value));

    private static (byte[] Address, int Prefix)? ParseCidr(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var ip) || (ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.ScopeId != 0))
        {
            return null;
        }

        var bits = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefixText = text.AsSpan(slash + 1);
        return prefixText.Length is > 0 and <= 3 && int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) && prefix <= bits
            ? (ip.GetAddressBytes(), prefix)
            : null;
    }

    private static byte[] Masked((byte[] Address, int Prefix) network)
    {
        var bytes = (byte[])network.Address.Clone();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(network.Prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return bytes;
    }

    private static bool InNetwork((byte[] Address, int Prefix) network, byte[] address)
    {
        if (network.Address.Length != address.Length)
        {
            return false;
        }

        for (var i = 0; i < address.Length; i++)
        {
            var keep = Math.Clamp(network.Prefix - (i * 8), 0, 8);
            var mask = (byte)(0xFF << (8 - keep));
            if ((address[i] & mask) != (network.Address[i] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
