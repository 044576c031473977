using System.Net;
using System.Net.Sockets;

namespace Soma.Testing;

/// <summary>Free loopback TCP ports for engines and servers started by tests.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
