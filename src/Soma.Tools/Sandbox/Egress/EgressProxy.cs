using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Soma.Core.Sandbox;
using Soma.Tools.Http;

namespace Soma.Tools.Sandbox.Egress;

/// <summary>
/// One call's egress proxy: HTTP <c>CONNECT host:port</c> (for https, a byte tunnel once allowed) and plain HTTP
/// requests in absolute form (<c>GET http://host/path</c>, forwarded with <c>Connection: close</c>), on a Unix socket
/// in a private temporary folder. A destination outside the grant, or one that resolves only to refused addresses,
/// gets <c>403</c> with a one-line reason and is added to <see cref="Refusals"/>. Each client connection carries one
/// request: what follows it goes to the same checked destination only.
/// </summary>
internal sealed class EgressProxy : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;
    private const int MaxRefusalsKept = 50;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly EgressGrant _grant;
    private readonly string _tenant;
    private readonly Guid _session;
    private readonly SandboxEgress _owner;
    private readonly DirectoryInfo _directory;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _refusals = new();
    private readonly HashSet<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    private EgressProxy(SandboxNetwork network, SandboxEgress owner, DirectoryInfo directory, Socket listener)
    {
        _grant = EgressGrant.From(network);
        _tenant = network.Tenant ?? "(unknown)";
        _session = network.Session;
        _owner = owner;
        _directory = directory;
        _listener = listener;
        SocketPath = Path.Combine(directory.FullName, "egress.sock");
    }

    /// <summary>The Unix socket on the host, to bind into the sandbox.</summary>
    public string SocketPath { get; }

    /// <summary>The refused requests so far, each <c>host:port (reason)</c>.</summary>
    public IReadOnlyList<string> Refusals => [.. _refusals];

    /// <summary>Listens on a fresh socket for <paramref name="network"/>'s grant.</summary>
    public static EgressProxy Start(SandboxNetwork network, SandboxEgress owner)
    {
        // CreateTempSubdirectory makes the folder 0700: only this user (the sandbox's, outside its namespace) gets in.
        var directory = Directory.CreateTempSubdirectory("soma-egress-");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            var proxy = new EgressProxy(network, owner, directory, listener);
            listener.Bind(new UnixDomainSocketEndPoint(proxy.SocketPath));
            listener.Listen(64);
            proxy._accepting = proxy.AcceptLoopAsync();
            return proxy;
        }
        catch
        {
            listener.Dispose();
            directory.Delete(recursive: true);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var task = ServeAsync(client);
            lock (_connections)
            {
                _connections.Add(task);
            }

            _ = task.ContinueWith(
                done =>
                {
                    lock (_connections)
                    {
                        _connections.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        await Task.Yield();
        var token = _stop.Token;
        var stream = new NetworkStream(client, ownsSocket: true);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                await ServeAsync(client, stream, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The call ended, or either side went away: nothing is left to tell.
            }
        }
    }

    private async Task ServeAsync(Socket client, NetworkStream stream, CancellationToken cancellationToken)
    {
        var (head, rest) = await ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            await InvalidAsync(stream, "the request head is incomplete or longer than 16 KiB", cancellationToken).ConfigureAwait(false);
            return;
        }

        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            await InvalidAsync(stream, "the request line is not HTTP/1.x", cancellationToken).ConfigureAwait(false);
            return;
        }

        var (method, target, version) = (parts[0], parts[1], parts[2]);
        var tunnel = method == "CONNECT";
        if (!TryTarget(tunnel, target, out var url))
        {
            await InvalidAsync(stream, tunnel ? "CONNECT needs host:port" : "the proxy takes absolute http:// URLs, and CONNECT host:port for https", cancellationToken).ConfigureAwait(false);
            return;
        }

        var destination = $"{url.Host}:{url.Port.ToString(CultureInfo.InvariantCulture)}";
        if (_grant.Hosts.Count == 0 || !_grant.Allows(url))
        {
            var granted = string.Join(", ", _grant.Hosts.Select(h => h.Text));
            await RefuseAsync(stream, method, destination, $"not among the granted hosts ({granted})", cancellationToken).ConfigureAwait(false);
            return;
        }

        Socket upstream;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connectTimeout.CancelAfter(ConnectTimeout);
            try
            {
                upstream = await EgressConnector.ConnectAsync(url.IdnHost, url.Port, _grant.AllowPrivate, connectTimeout.Token).ConfigureAwait(false);
            }
            catch (EgressRefusedException ex)
            {
                await RefuseAsync(stream, method, destination, ex.Message, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var error = ex is SocketException socket ? socket.SocketErrorCode.ToString() : $"no connection within {ConnectTimeout.TotalSeconds} s";
                EgressLog.Failed(_owner.Logger, destination, _tenant, _session, error);
                _owner.Count("failed");
                await AnswerAsync(stream, "502 Bad Gateway", $"egress failed: {destination}: {error}", cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var upstreamStream = new NetworkStream(upstream, ownsSocket: true);
        await using (upstreamStream.ConfigureAwait(false))
        {
            if (_owner.Logger.IsEnabled(LogLevel.Information))
            {
                var address = upstream.RemoteEndPoint!.ToString()!;
                EgressLog.Allowed(_owner.Logger, method, destination, address, _tenant, _session);
            }
            _owner.Count("allowed");
            if (tunnel)
            {
                await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await upstreamStream.WriteAsync(Encoding.Latin1.GetBytes(OriginRequest(method, url, version, lines)), cancellationToken).ConfigureAwait(false);
            }

            if (rest.Length > 0)
            {
                await upstreamStream.WriteAsync(rest, cancellationToken).ConfigureAwait(false);
            }

            await Task.WhenAll(
                CopyAsync(stream, upstreamStream, upstream, cancellationToken),
                CopyAsync(upstreamStream, stream, client, cancellationToken)).ConfigureAwait(false);
        }
    }

    private static bool TryTarget(bool tunnel, string target, out Uri url)
    {
        if (tunnel)
        {
            // host:port exactly: a port is required and nothing may follow it.
            return Uri.TryCreate("https://" + target, UriKind.Absolute, out url!)
                && url.UserInfo.Length == 0 && url.PathAndQuery == "/" && url.Fragment.Length == 0
                && target.EndsWith(":" + url.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return Uri.TryCreate(target, UriKind.Absolute, out url!) && url.Scheme == "http" && url.UserInfo.Length == 0;
    }

    /// <summary>The request in origin form, without hop-by-hop and proxy headers, closing after one response.</summary>
    private static string OriginRequest(string method, Uri url, string version, string[] lines)
    {
        var request = new StringBuilder().Append(method).Append(' ').Append(url.PathAndQuery).Append(' ').Append(version).Append("\r\n");
        var hasHost = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon > 0 ? line[..colon].Trim() : string.Empty;
            if (name.Length == 0 || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            hasHost |= name.Equals("Host", StringComparison.OrdinalIgnoreCase);
            request.Append(line).Append("\r\n");
        }

        if (!hasHost)
        {
            request.Append("Host: ").Append(url.Authority).Append("\r\n");
        }

        return request.Append("Connection: close\r\n\r\n").ToString();
    }

    private static async Task CopyAsync(Stream from, Stream to, Socket toSocket, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // One side closed hard; the other direction ends on its own.
        }
    }

    private static async Task<(string? Head, byte[] Remainder)> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return (null, []);
            }

            var searchFrom = Math.Max(0, read - 3);
            read += n;
            var end = buffer.AsSpan(searchFrom, read - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                end += searchFrom;
                return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + 4)..read]);
            }
        }

        return (null, []);
    }

    private async Task RefuseAsync(Stream stream, string method, string destination, string reason, CancellationToken cancellationToken)
    {
        EgressLog.Refused(_owner.Logger, method, destination, _tenant, _session, reason);
        _owner.Count("refused");
        if (_refusals.Count < MaxRefusalsKept)
        {
            _refusals.Enqueue($"{destination} ({reason})");
        }

        await AnswerAsync(stream, "403 Forbidden", $"egress refused: {destination}: {reason}", cancellationToken).ConfigureAwait(false);
    }

    private async Task InvalidAsync(Stream stream, string reason, CancellationToken cancellationToken)
    {
        EgressLog.Invalid(_owner.Logger, _tenant, _session, reason);
        _owner.Count("invalid");
        await AnswerAsync(stream, "400 Bad Request", $"egress proxy: {reason}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task AnswerAsync(Stream stream, string status, string line, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(line.ReplaceLineEndings(" ") + "\n");
        var head = $"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
