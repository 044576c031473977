using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Soma.Testing;

/// <summary>
/// A real NATS server with JetStream, started from this machine's <c>nats-server</c> on a free loopback port with its
/// store in a temp directory, killed on dispose. <see cref="StopAsync"/> and <see cref="StartAsync"/> take it down and
/// bring it back on the same port and store (outage tests). An optional configuration text (accounts, users and their
/// permissions) is written to a file and passed with <c>-c</c>; the port, store and JetStream flags still come from
/// the command line. A missing binary fails the test: the engine is never skipped.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly string _binary;
    private readonly string? _configuration;
    private readonly StringBuilder _output = new();
    private ServerProcess? _process;

    private NatsServer(TempDirectory directory, string binary, int port, string? configuration)
    {
        _directory = directory;
        _binary = binary;
        Port = port;
        _configuration = configuration;
    }

    public int Port { get; }

    /// <summary>The client URL, <c>nats://127.0.0.1:{port}</c>.</summary>
    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>The JetStream store directory.</summary>
    public string StoreDirectory => Path.Combine(_directory.Path, "jetstream");

    /// <summary>Starts a new server on a free port; <paramref name="configuration"/> is nats-server configuration text (accounts, users) or null.</summary>
    public static async Task<NatsServer> StartNewAsync(string? configuration = null, CancellationToken cancellationToken = default)
    {
        var server = new NatsServer(new TempDirectory("soma-nats"), FindBinary(), FreePort.Next(), configuration);
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

    /// <summary>Starts the server (again) on its port and store.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"nats-server is already running on port {Port}.");
        }

        var arguments = new List<string> { "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", StoreDirectory };
        if (_configuration is not null)
        {
            var file = Path.Combine(_directory.Path, "nats.conf");
            await File.WriteAllTextAsync(file, _configuration, cancellationToken);
            arguments.AddRange(["-c", file]);
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _process = ServerProcess.Start(_binary, arguments, _directory.Path, _output);
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>Stops the server (SIGKILL); the port refuses connections until <see cref="StartAsync"/>. What JetStream stored stays on disk.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false } process)
        {
            await process.KillAsync().WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }

    /// <summary>What the server printed so far.</summary>
    public string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    // Ready when it accepts a connection and greets with INFO, and its log says JetStream started (or the server is up
    // with accounts that enable it).
    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"nats-server exited with {exited.ExitCode} on port {Port}:\n{Output()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
                var buffer = new byte[4096];
                var read = await client.GetStream().ReadAsync(buffer, cancellationToken);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("INFO", StringComparison.Ordinal)
                    && Output().Contains("Server is ready", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"nats-server did not become ready on port {Port}:\n{Output()}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static string FindBinary() => ServerProcess.Find("nats-server")
        ?? throw new InvalidOperationException("nats-server not found: install the Debian package 'nats-server' (./test.sh does this).");
}
