using System.Net.Sockets;
using System.Text;

namespace Soma.Testing;

/// <summary>
/// A real Redis started from this machine's <c>redis-server</c> on a free loopback port in a temp directory, with no
/// persistence of its own, killed on dispose. <see cref="StopAsync"/> and <see cref="StartAsync"/> take it down and
/// bring it back on the same port for outage tests; the stop saves the data set (<c>SHUTDOWN SAVE</c>) and the start
/// loads it, so what was in Redis before an outage is there after it, as with a server that restarts with its disk.
/// A missing binary fails the test: the engine is never skipped.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly string _binary;
    private readonly StringBuilder _output = new();
    private ServerProcess? _process;

    private RedisServer(TempDirectory directory, string binary, int port)
    {
        _directory = directory;
        _binary = binary;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts a new server on a free port.</summary>
    public static async Task<RedisServer> StartNewAsync(CancellationToken cancellationToken = default)
    {
        var server = new RedisServer(new TempDirectory("soma-redis"), FindBinary(), FreePort.Next());
        try
        {
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on its port; it loads what the last <see cref="StopAsync"/> saved.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"redis-server is already running on port {Port}.");
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _process = ServerProcess.Start(_binary, ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", _directory.Path, "--dbfilename", "dump.rdb"], _directory.Path, _output);
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>Saves the data set and stops the server; the port refuses connections until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        try
        {
            await SendAsync("SHUTDOWN SAVE\r\n", cancellationToken);
        }
        catch (IOException)
        {
            // The server closes the connection as it exits.
        }
        catch (SocketException)
        {
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"redis-server exited with {exited.ExitCode} on port {Port}:\n{Output()}");
            }

            try
            {
                if ((await SendAsync("PING\r\n", cancellationToken)).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"redis-server did not answer PING on port {Port}:\n{Output()}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private async Task<string> SendAsync(string command, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command), cancellationToken);
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private static string FindBinary() => ServerProcess.Find("redis-server")
        ?? throw new InvalidOperationException("redis-server not found: install the Debian package 'redis-server' (./test.sh does this).");
}
