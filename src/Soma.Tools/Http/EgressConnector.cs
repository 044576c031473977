using System.Net;
using System.Net.Sockets;

namespace Soma.Tools.Http;

/// <summary>
/// Opens the TCP connection of an egress request the way every egress path must: DNS resolved here, each address
/// checked (<see cref="EgressAddresses"/>) before it is tried, and the peer the socket actually reached checked again,
/// so what is connected is what was checked (no DNS rebinding between check and connect).
/// </summary>
internal static class EgressConnector
{
    /// <summary>
    /// A connected socket to <paramref name="host"/>:<paramref name="port"/>. Throws <see cref="EgressRefusedException"/>
    /// when every address is refused (or there is none), the last <see cref="SocketException"/> when the allowed ones
    /// could not be reached.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string host, int port, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        var refusals = new List<string>();
        SocketException? failure = null;
        foreach (var address in addresses)
        {
            if (EgressAddresses.Refusal(address, allowPrivate) is { } range)
            {
                refusals.Add($"{address} is {range}");
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);

                // What counts is the peer the socket is connected to, not what was asked for.
                if (socket.RemoteEndPoint is not IPEndPoint remote || EgressAddresses.Refusal(remote.Address, allowPrivate) is not null)
                {
                    socket.Dispose();
                    refusals.Add($"{address} connected to a refused address");
                    continue;
                }

                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                failure = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (failure is not null)
        {
            throw failure;
        }

        throw new EgressRefusedException(addresses.Length == 0
            ? $"{host} has no address"
            : $"{host} resolves only to refused addresses: {string.Join("; ", refusals)}{(allowPrivate ? string.Empty : " (the grant does not allow private ranges)")}");
    }
}
