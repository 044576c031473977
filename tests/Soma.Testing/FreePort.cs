using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Soma.Testing;

/// <summary>
/// Free loopback TCP ports for engines and servers started by tests.
/// </summary>
/// <remarks>
/// A port is drawn below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>), so no outgoing
/// connection of any process can be given it as its source port: a server killed with SIGKILL and started again on its
/// port finds it still free. (A port the kernel handed out for binding to 0 is an ephemeral one, and while its server is
/// down the next client connection on the machine may take it.) Test processes run side by side, so each port drawn is
/// also claimed across processes by an exclusive lock on a file named after it, held until the process exits.
/// </remarks>
public static class FreePort
{
    private const int Lowest = 10_000;
    private static readonly string ClaimDirectory = Path.Combine(Path.GetTempPath(), "soma-test-ports");
    private static readonly List<FileStream> Claims = [];
    private static readonly int EphemeralStart = ReadEphemeralStart();

    public static int Next()
    {
        if (EphemeralStart - Lowest < 1_000)
        {
            return KernelAssigned();
        }

        Directory.CreateDirectory(ClaimDirectory);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Lowest, EphemeralStart);
            var claim = TryClaim(port);
            if (claim is null)
            {
                continue;
            }

            if (IsFree(port))
            {
                lock (Claims)
                {
                    Claims.Add(claim);
                }

                return port;
            }

            claim.Dispose();
        }

        return KernelAssigned();
    }

    private static FileStream? TryClaim(int port)
    {
        try
        {
            // FileShare.None takes an exclusive flock: another test process cannot open the same claim while this one lives.
            return new FileStream(Path.Combine(ClaimDirectory, port.ToString(CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int KernelAssigned()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int ReadEphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
