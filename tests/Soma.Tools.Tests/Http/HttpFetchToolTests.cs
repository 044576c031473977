using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Soma.Testing;
using Soma.Tools.Http;
using Soma.Tools.Invocation;

namespace Soma.Tools.Tests.Http;

/// <summary>
/// http.fetch through the real invoker and the embedded policy, against a loopback server standing in for a remote
/// site. Loopback is refused by default, so each refusal below is a real attempt at a server that is listening (and
/// whose request count shows it was never reached); the successful fetches use a grant that allows private ranges.
/// </summary>
public sealed class HttpFetchToolTests : IAsyncLifetime
{
    private const string Tenant = "t-http";
    private readonly CapturedLogs _logs = new();
    private WebApplication _server = null!;
    private int _port;
    private int _requests;

    public async ValueTask InitializeAsync()
    {
        (_server, _port) = await LoopbackListener.StartAsync(async context =>
        {
            Interlocked.Increment(ref _requests);
            var response = context.Response;
            switch (context.Request.Path.Value)
            {
                case "/hello":
                    response.ContentType = "text/plain; charset=utf-8";
                    response.ContentLength = 28;
                    await response.WriteAsync("hello from the loopback site");
                    break;
                case "/json":
                    response.ContentType = "application/json";
                    await response.WriteAsync("""{"ok":true}""");
                    break;
                case "/big":
                    response.ContentType = "text/plain";
                    response.ContentLength = 100_000;
                    await response.WriteAsync(new string('x', 100_000));
                    break;
                case "/binary":
                    response.ContentType = "application/octet-stream";
                    await response.Body.WriteAsync(new byte[] { 0, 1, 2, 3 });
                    break;
                case "/slow":
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    break;
                case "/loop":
                    response.Redirect("/loop");
                    break;
                default:
                    if (context.Request.Path.StartsWithSegments("/redirect", out var rest))
                    {
                        // /redirect/{url-encoded target}
                        response.Redirect(Uri.UnescapeDataString(rest.Value!.TrimStart('/')));
                        break;
                    }

                    response.StatusCode = 404;
                    break;
            }
        });
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Without_an_egress_grant_every_fetch_is_refused()
    {
        // The shipped roles.yaml: admin's "*" matches http.fetch, but no egress rule lists a host.
        await using var host = await StartAsync(SqliteToolHost.ShippedRoles);
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/hello", roles: ["admin"]);
        Assert.True(result.Ran);
        Assert.Equal(HttpFetchTool.EgressRefused, result.Result.ErrorCode);
        Assert.Equal($"Refused: GET http://127.0.0.1:{_port}/hello — no egress is granted for this tool (roles.yaml: tools: http.fetch: egress: hosts).", result.Result.Output);

        var user = await FetchAsync(host, $"http://127.0.0.1:{_port}/hello", roles: []);
        Assert.False(user.Ran);
        Assert.Equal(0, _requests);
    }

    [Fact]
    public async Task A_host_not_in_the_grant_is_refused_before_any_connection()
    {
        await using var host = await StartAsync(Grant(["example.com", "*.example.org"], allowPrivate: true));
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/hello");
        Assert.Equal(HttpFetchTool.EgressRefused, result.Result.ErrorCode);
        Assert.Contains($"127.0.0.1:{_port} is not among the granted hosts (example.com, *.example.org)", result.Result.Output, StringComparison.Ordinal);
        Assert.Equal(0, _requests);
        Assert.Contains(_logs.WithId(4211), line => line.Contains($"http://127.0.0.1:{_port}/hello", StringComparison.Ordinal) && line.Contains(Tenant, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:{port}", "http://127.0.0.1:{port}/hello", "127.0.0.1 is loopback (127.0.0.0/8)")]
    [InlineData("localhost:{port}", "http://localhost:{port}/hello", "localhost resolves only to refused addresses")]
    [InlineData("[::1]:{port}", "http://[::1]:{port}/hello", "::1 is loopback (::1)")]
    [InlineData("[::ffff:127.0.0.1]:{port}", "http://[::ffff:127.0.0.1]:{port}/hello", "as IPv4-mapped IPv6")]
    [InlineData("169.254.169.254", "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local (169.254.0.0/16)")]
    [InlineData("0.0.0.0:{port}", "http://0.0.0.0:{port}/hello", "0.0.0.0 is unspecified (0.0.0.0/8)")]
    public async Task A_granted_host_whose_address_is_private_is_refused_after_resolution(string granted, string url, string reason)
    {
        await using var host = await StartAsync(Grant([Port(granted)], allowPrivate: false));
        var result = await FetchAsync(host, Port(url));
        Assert.Equal(HttpFetchTool.EgressRefused, result.Result.ErrorCode);
        Assert.StartsWith($"Refused: GET {new Uri(Port(url))} — ", result.Result.Output, StringComparison.Ordinal);
        Assert.Contains(reason, result.Result.Output, StringComparison.Ordinal);
        Assert.Contains("the grant does not allow private ranges", result.Result.Output, StringComparison.Ordinal);
        Assert.Equal(0, _requests);
        Assert.Single(_logs.WithId(4211));
    }

    [Fact]
    public async Task With_private_ranges_allowed_a_granted_loopback_host_is_fetched_and_the_result_says_what_happened()
    {
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}"], allowPrivate: true));
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/hello");
        Assert.Null(result.Result.ErrorCode);
        Assert.False(result.Result.Truncated);
        Assert.Equal(
            $"GET http://127.0.0.1:{_port}/hello → 200 OK\nconnected to 127.0.0.1:{_port}\ncontent-type: text/plain; charset=utf-8; content-length: 28\n\nhello from the loopback site",
            result.Result.Output);
        Assert.Contains(_logs.WithId(4210), line => line.Contains($"GET http://127.0.0.1:{_port}/hello", StringComparison.Ordinal));

        var json = await FetchAsync(host, $"http://127.0.0.1:{_port}/json");
        Assert.EndsWith("\n\n{\"ok\":true}", json.Result.Output, StringComparison.Ordinal);

        var head = await FetchAsync(host, $"http://127.0.0.1:{_port}/hello", method: "HEAD");
        Assert.Equal($"HEAD http://127.0.0.1:{_port}/hello → 200 OK\nconnected to 127.0.0.1:{_port}\ncontent-type: text/plain; charset=utf-8; content-length: 28", head.Result.Output);
    }

    [Fact]
    public async Task A_redirect_is_followed_only_while_each_hop_is_granted()
    {
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}"], allowPrivate: true));
        var followed = await FetchAsync(host, $"http://127.0.0.1:{_port}/redirect/{Uri.EscapeDataString("/hello")}");
        Assert.Null(followed.Result.ErrorCode);
        Assert.StartsWith($"GET http://127.0.0.1:{_port}/redirect/%2Fhello → 302 Found, redirect to http://127.0.0.1:{_port}/hello\nGET http://127.0.0.1:{_port}/hello → 200 OK", followed.Result.Output, StringComparison.Ordinal);

        var before = _requests;
        var toLoopbackName = await FetchAsync(host, $"http://127.0.0.1:{_port}/redirect/{Uri.EscapeDataString($"http://localhost:{_port}/hello")}");
        Assert.Equal(HttpFetchTool.EgressRefused, toLoopbackName.Result.ErrorCode);
        Assert.EndsWith($"Refused: GET http://localhost:{_port}/hello — localhost:{_port} is not among the granted hosts (127.0.0.1:{_port}).", toLoopbackName.Result.Output, StringComparison.Ordinal);
        Assert.Equal(before + 1, _requests);
    }

    [Fact]
    public async Task A_redirect_to_an_address_never_reachable_is_refused_after_resolution_even_with_private_ranges_allowed()
    {
        // 0.0.0.0 reaches the local host on Linux: a classic way round loopback filters. The hop is granted by name,
        // and refused by its address when it connects.
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}", $"0.0.0.0:{_port}"], allowPrivate: true));
        var before = _requests;
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/redirect/{Uri.EscapeDataString($"http://0.0.0.0:{_port}/hello")}");
        Assert.Equal(HttpFetchTool.EgressRefused, result.Result.ErrorCode);
        Assert.Contains("→ 302 Found, redirect to http://0.0.0.0:", result.Result.Output, StringComparison.Ordinal);
        Assert.EndsWith($"Refused: GET http://0.0.0.0:{_port}/hello — 0.0.0.0 resolves only to refused addresses: 0.0.0.0 is unspecified (0.0.0.0/8).", result.Result.Output, StringComparison.Ordinal);
        Assert.Equal(before + 1, _requests);
    }

    [Fact]
    public async Task Redirects_are_capped()
    {
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}"], allowPrivate: true), new() { ["Soma:Tools:HttpFetch:MaxRedirects"] = "3" });
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/loop");
        Assert.Equal("http.too_many_redirects", result.Result.ErrorCode);
        Assert.EndsWith("Stopped: more than 3 redirects.", result.Result.Output, StringComparison.Ordinal);
        Assert.Equal(4, _requests);
    }

    [Fact]
    public async Task A_body_over_the_cap_is_cut_and_marked_truncated()
    {
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}"], allowPrivate: true), new() { ["Soma:Tools:HttpFetch:MaxResponseBytes"] = "1000" });
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/big");
        Assert.Null(result.Result.ErrorCode);
        Assert.True(result.Result.Truncated);
        Assert.Contains("content-length: 100000\n[truncated: the first 1000 bytes of the body]\n\n", result.Result.Output, StringComparison.Ordinal);
        Assert.EndsWith("\n\n" + new string('x', 1000), result.Result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_site_that_does_not_answer_in_time_is_a_timeout()
    {
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}"], allowPrivate: true), new() { ["Soma:Tools:HttpFetch:TimeoutSeconds"] = "1" });
        var result = await FetchAsync(host, $"http://127.0.0.1:{_port}/slow");
        Assert.Equal("http.timeout", result.Result.ErrorCode);
        Assert.Equal($"GET http://127.0.0.1:{_port}/slow → no response within 1 s", result.Result.Output);
    }

    [Fact]
    public async Task Binary_bodies_and_urls_that_are_not_http_or_carry_credentials_are_refused()
    {
        await using var host = await StartAsync(Grant([$"127.0.0.1:{_port}"], allowPrivate: true));
        var binary = await FetchAsync(host, $"http://127.0.0.1:{_port}/binary");
        Assert.Equal("http.content_type_refused", binary.Result.ErrorCode);
        Assert.EndsWith("The body was not read: http.fetch returns text only (text/*, JSON, XML, JavaScript, YAML), not application/octet-stream.", binary.Result.Output, StringComparison.Ordinal);

        Assert.Equal("Argument 'url' must be an absolute http or https URL.", (await FetchAsync(host, "file:///etc/passwd")).Result.Output);
        Assert.Equal("Argument 'url' must not carry credentials (user:password@).", (await FetchAsync(host, $"http://u:p@127.0.0.1:{_port}/hello")).Result.Output);
        // The schema's enum refuses another method before the policy decides.
        var post = await FetchAsync(host, $"http://127.0.0.1:{_port}/hello", method: "POST");
        Assert.False(post.Ran);
        Assert.StartsWith("Invalid arguments: /method: ", post.Result.Output, StringComparison.Ordinal);
    }

    private string Port(string text) => text.Replace("{port}", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static string Grant(string[] hosts, bool allowPrivate) => $$"""
        version: 1
        default_roles: [user]
        roles:
          user:
            tools: ["http.fetch"]
        tools:
          http.fetch:
            egress:
              hosts: [{{string.Join(", ", hosts.Select(h => $"\"{h}\""))}}]
              allow_private: {{(allowPrivate ? "true" : "false")}}
        """;

    private Task<SqliteToolHost> StartAsync(string roles, Dictionary<string, string?>? settings = null) =>
        SqliteToolHost.StartAsync(roles, services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs), settings);

    private static Task<ToolInvocation> FetchAsync(SqliteToolHost host, string url, string[]? roles = null, string method = "GET") =>
        host.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller(Tenant, "alice", roles ?? []), $"call_{Guid.NewGuid():N}", "http.fetch", JsonSerializer.Serialize(new { url, method }),
            ToolCalls.Context(Tenant), "tools", TimeSpan.FromSeconds(30)));
}
