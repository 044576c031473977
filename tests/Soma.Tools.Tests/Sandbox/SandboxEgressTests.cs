using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Core.Sandbox;
using Soma.Testing;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;
using Soma.Tools.Sandbox;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// Egress when the policy grants it: code.python in the real bubblewrap sandbox, with the decision's obligation, against
/// a loopback server standing in for a remote site (whose request count shows whether it was reached). Loopback is a
/// private range, so the fetches that must work use <c>allow_private</c>; the refusals are real attempts at a server
/// that is listening. Other addresses are documentation ranges (192.0.2.0/24) only, never the internet.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SandboxEgressTests(SandboxFixture fixture) : IAsyncLifetime
{
    private const string Page = "hello through the egress proxy";
    private readonly TempDirectory _workspaces = new("soma-workspaces-egress");
    private readonly ConcurrentQueue<(string Decision, long Value)> _decisions = new();
    private readonly HashSet<string> _proxyFoldersBefore = ProxyFolders();
    private MeterListener _meter = null!;
    private WebApplication _server = null!;
    private int _port;
    private int _requests;

    public async ValueTask InitializeAsync()
    {
        (_server, _port) = await LoopbackListener.StartAsync(async context =>
        {
            Interlocked.Increment(ref _requests);
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(Page + " " + context.Request.Path);
        });
        var factory = fixture.Services.GetRequiredService<IMeterFactory>();
        _meter = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "soma.sandbox.egress" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "decision")
                {
                    _decisions.Enqueue(((string)tag.Value!, value));
                }
            }
        });
        _meter.Start();
    }

    public async ValueTask DisposeAsync()
    {
        _meter.Dispose();
        await _server.DisposeAsync();
        // The relay's command line is the launcher's: nothing of a call granted egress may be left. The call returns when
        // bubblewrap's outer process has the program's exit status; its pid namespace (the relay with it) is torn down
        // by the kernel a moment later (the parent-death signal of its first process), so this waits for that, bounded.
        var left = EscapeCorpusTests.HostProcesses("--egress-relay");
        for (var attempt = 0; attempt < 100 && left.Count > 0; attempt++)
        {
            await Task.Delay(50);
            left = EscapeCorpusTests.HostProcesses("--egress-relay");
        }

        Assert.True(left.Count == 0, "processes of the call are left: " + string.Join(", ", left.Select(Describe)));
        var folders = ProxyFolders().Except(_proxyFoldersBefore).ToList();
        Assert.True(folders.Count == 0, "proxy folders are left: " + string.Join(", ", folders));
        _workspaces.Dispose();
    }

    [Fact]
    public async Task A_granted_program_fetches_a_page_through_the_proxy_over_http_and_a_connect_tunnel()
    {
        var code = $$"""
            import socket, urllib.request
            print(urllib.request.urlopen("http://127.0.0.1:{{_port}}/plain", timeout=10).read().decode())
            s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
            s.sendall(b"CONNECT 127.0.0.1:{{_port}} HTTP/1.1\r\nHost: 127.0.0.1:{{_port}}\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += s.recv(1)
            print("TUNNEL", reply.split(b"\r\n")[0].decode())
            s.sendall(b"GET /tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            body = b""
            while chunk := s.recv(4096):
                body += chunk
            print(body.split(b"\r\n\r\n", 1)[1].decode())
            """;
        var allowedBefore = AllowedLogs();
        var result = await RunPythonAsync(code, Grant(allowPrivate: true));
        Assert.False(result.IsError, result.Output);
        Assert.Contains(Page + " /plain", result.Output, StringComparison.Ordinal);
        Assert.Contains("TUNNEL HTTP/1.1 200", result.Output, StringComparison.Ordinal);
        Assert.Contains(Page + " /tunnel", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("[egress refused", result.Output, StringComparison.Ordinal);
        Assert.Equal(2, _requests);
        Assert.Equal(allowedBefore + 2, AllowedLogs());
        Assert.Equal(2, _decisions.Count(d => d.Decision == "allowed"));
    }

    [Fact]
    public async Task The_program_cannot_kill_the_relay()
    {
        var code = $$"""
            import os, urllib.request
            relays = [p for p in os.listdir("/proc") if p.isdigit() and open(f"/proc/{p}/cmdline", "rb").read().startswith(b"/.soma/exec")]
            for pid in relays:
                try:
                    os.kill(int(pid), 9)
                    print("KILLED", pid)
                except OSError as e:
                    print("refused", pid, e.strerror)
            print(urllib.request.urlopen("http://127.0.0.1:{{_port}}/after", timeout=10).read().decode())
            """;
        var result = await RunPythonAsync(code, Grant(allowPrivate: true));
        Assert.Contains("refused", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("KILLED", result.Output, StringComparison.Ordinal);
        Assert.Contains(Page + " /after", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_are_resolved_by_the_proxy_not_in_the_sandbox()
    {
        var code = $$"""
            import socket, urllib.request
            try:
                socket.getaddrinfo("example.com", 80)
                print("RESOLVED in the sandbox")
            except OSError as e:
                print("no DNS in the sandbox")
            print(urllib.request.urlopen("http://localhost:{{_port}}/named", timeout=10).read().decode())
            """;
        var grant = JsonSerializer.Serialize(new { egress = new { hosts = new[] { $"localhost:{_port}" }, allow_private = true } });
        var result = await RunPythonAsync(code, grant);
        Assert.Contains("no DNS in the sandbox", result.Output, StringComparison.Ordinal);
        Assert.Contains(Page + " /named", result.Output, StringComparison.Ordinal);
        Assert.Equal(1, _requests);
    }

    [Fact]
    public async Task Requests_the_proxy_cannot_read_get_400_and_reach_nothing()
    {
        await using var proxy = fixture.Egress.Start(new SandboxNetwork([$"127.0.0.1:{_port}"]) { AllowPrivate = true });
        foreach (var request in new[]
        {
            "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
            $"GET https://127.0.0.1:{_port}/ HTTP/1.1\r\n\r\n",
            "GET /relative HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            "not http at all\r\n\r\n",
        })
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(proxy.SocketPath));
            await socket.SendAsync(Encoding.ASCII.GetBytes(request));
            var answer = new StringBuilder();
            var buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            Assert.StartsWith("HTTP/1.1 400 Bad Request", answer.ToString(), StringComparison.Ordinal);
            Assert.Contains("egress proxy: ", answer.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, _requests);
        Assert.Equal(4, _decisions.Count(d => d.Decision == "invalid"));
    }

    [Fact]
    public async Task Loopback_without_allow_private_is_refused_with_403_and_a_refusal_line()
    {
        var code = $$"""
            import urllib.request, urllib.error
            try:
                urllib.request.urlopen("http://127.0.0.1:{{_port}}/private", timeout=10)
                print("FETCHED")
            except urllib.error.HTTPError as e:
                print("HTTP", e.code, e.read().decode().strip())
            """;
        var result = await RunPythonAsync(code, Grant(allowPrivate: false));
        Assert.Contains("HTTP 403 egress refused: 127.0.0.1:" + _port, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("FETCHED", result.Output, StringComparison.Ordinal);
        Assert.Contains($"[egress refused: 127.0.0.1:{_port} (", result.Output, StringComparison.Ordinal);
        Assert.Contains("loopback", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, _requests);
        Assert.Contains(fixture.Logs.WithId(4231), line => line.Contains($"127.0.0.1:{_port} for tenant t-egress", StringComparison.Ordinal));
        Assert.Contains(_decisions, d => d.Decision == "refused");
    }

    [Fact]
    public async Task Hosts_and_ports_outside_the_grant_are_refused_over_http_and_connect()
    {
        var code = $$"""
            import urllib.request, urllib.error
            for url in ("http://192.0.2.1/", "https://192.0.2.1/", "http://127.0.0.1:{{_port + 1}}/"):
                try:
                    urllib.request.urlopen(url, timeout=10)
                    print("FETCHED", url)
                except urllib.error.HTTPError as e:
                    print("HTTP", e.code, url)
                except urllib.error.URLError as e:
                    print("REFUSED", url, e.reason)
            """;
        var result = await RunPythonAsync(code, Grant(allowPrivate: true));
        Assert.DoesNotContain("FETCHED", result.Output, StringComparison.Ordinal);
        Assert.Contains("HTTP 403 http://192.0.2.1/", result.Output, StringComparison.Ordinal);
        Assert.Contains("REFUSED https://192.0.2.1/ Tunnel connection failed: 403", result.Output, StringComparison.Ordinal);
        Assert.Contains("[egress refused: 192.0.2.1:80 (not among the granted hosts", result.Output, StringComparison.Ordinal);
        Assert.Contains("[egress refused: 192.0.2.1:443 (not among the granted hosts", result.Output, StringComparison.Ordinal);
        Assert.Contains($"[egress refused: 127.0.0.1:{_port + 1} (not among the granted hosts", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, _requests);
    }

    [Fact]
    public async Task A_direct_connection_that_bypasses_the_proxy_is_refused()
    {
        var code = $$"""
            import socket
            for host, port in (("127.0.0.1", {{_port}}), ("192.0.2.1", 80), ("127.0.0.1", 3128)):
                try:
                    socket.create_connection((host, port), timeout=3).close()
                    print("CONNECTED", host, port)
                except OSError as e:
                    print("refused", host, port, e)
            """;
        var result = await RunPythonAsync(code, Grant(allowPrivate: true));
        Assert.Contains("CONNECTED 127.0.0.1 3128", result.Output, StringComparison.Ordinal);
        Assert.Contains($"refused 127.0.0.1 {_port}", result.Output, StringComparison.Ordinal);
        Assert.Contains("refused 192.0.2.1 80", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, _requests);
    }

    [Fact]
    public async Task Without_a_grant_there_is_no_proxy_and_no_network()
    {
        var code = """
            import os, socket
            print("PROXY", os.environ.get("HTTP_PROXY"), os.path.exists("/.soma/egress.sock"))
            try:
                socket.create_connection(("127.0.0.1", 3128), timeout=3).close()
                print("CONNECTED")
            except OSError as e:
                print("refused", e)
            """;
        var result = await RunPythonAsync(code, null);
        Assert.Contains("PROXY None False", result.Output, StringComparison.Ordinal);
        Assert.Contains("refused", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CONNECTED", result.Output, StringComparison.Ordinal);
        Assert.Empty(_decisions);
    }

    [Fact]
    public async Task The_gvisor_profile_refuses_a_call_granted_egress()
    {
        fixture.Require("gvisor");
        var result = await RunPythonAsync($"print('RAN')", Grant(allowPrivate: true), "gvisor");
        Assert.Equal("sandbox.unavailable", result.ErrorCode);
        Assert.Contains("bubblewrap profile only", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("RAN", result.Output, StringComparison.Ordinal);
    }

    private int AllowedLogs() => fixture.Logs.WithId(4230).Count(line => line.Contains($"127.0.0.1:{_port}", StringComparison.Ordinal));

    private string Grant(bool allowPrivate) =>
        JsonSerializer.Serialize(new { egress = new { hosts = new[] { $"127.0.0.1:{_port}" }, allow_private = allowPrivate } });

    private async Task<ToolResult> RunPythonAsync(string code, string? obligations, string profile = "bubblewrap")
    {
        fixture.Require("bubblewrap");
        var options = new SandboxOptions();
        options.Tools["code.python"] = profile;
        var wrapped = Options.Create(options);
        var sandboxes = new ToolSandboxes([fixture.Bubblewrap, fixture.Gvisor], wrapped, fixture.Services.GetRequiredService<IMeterFactory>());
        var workspaces = new ToolWorkspaces(Options.Create(new ToolWorkspaceOptions { Root = _workspaces.Path }));
        var tool = new CodePythonTool(sandboxes, workspaces, wrapped);
        using var arguments = JsonDocument.Parse(JsonSerializer.Serialize(new { code, timeout_seconds = 30 }));
        using var grant = obligations is null ? null : JsonDocument.Parse(obligations);
        var context = new ToolContext("t-egress", Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow) { Obligations = grant?.RootElement.Clone() };
        return await tool.InvokeAsync(arguments.RootElement, context, CancellationToken.None);
    }

    private static string Describe(int pid)
    {
        try
        {
            return $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')[..Math.Min(200, File.ReadAllText($"/proc/{pid}/cmdline").Length)]} {File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("State", StringComparison.Ordinal))}";
        }
        catch (IOException)
        {
            return pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private static HashSet<string> ProxyFolders() => [.. Directory.EnumerateDirectories(Path.GetTempPath(), "soma-egress-*")];
}
