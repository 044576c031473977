using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Soma.Gateway.Tests;

public sealed class SurfaceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task The_OpenAPI_document_is_valid_and_declares_bearer_auth()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        await using var stream = await client.GetStreamAsync("/openapi/v1.json");
        var result = await OpenApiDocument.LoadAsync(stream, "json", new OpenApiReaderSettings());
        Assert.Empty(result.Diagnostic?.Errors ?? []);
        var document = result.Document!;
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet()) ?? []);
        Assert.Contains("/v1/sessions", document.Paths.Keys);
        Assert.Contains("/v1/health", document.Paths.Keys);
        Assert.Equal(SecuritySchemeType.Http, document.Components!.SecuritySchemes!["bearer"].Type);
    }

    [Fact]
    public async Task Every_documented_endpoint_refuses_a_request_without_a_token()
    {
        using var authed = Server.For(ServerFixture.NewTenant());
        var document = JsonDocument.Parse(await authed.GetStringAsync("/openapi/v1.json"));
        using var anonymous = Server.Anonymous();
        var checkedCount = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var url = path.Name.Replace("{id}", Guid.CreateVersion7().ToString(), StringComparison.Ordinal);
                using var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), url);
                if (operation.Name is "post" or "put" or "patch")
                {
                    request.Content = JsonContent.Create(new { });
                }

                var response = await anonymous.SendAsync(request);
                var anonymousAllowed = path.Name is "/healthz" or "/readyz" or "/.well-known/jwks.json";
                Assert.True(
                    anonymousAllowed ? response.IsSuccessStatusCode : response.StatusCode == HttpStatusCode.Unauthorized,
                    $"{operation.Name.ToUpperInvariant()} {path.Name} answered {(int)response.StatusCode} without a token");
                checkedCount++;
            }
        }

        Assert.True(checkedCount >= 8, $"only {checkedCount} operations were documented");
        foreach (var undocumented in new[] { "/metrics", "/openapi/v1.json" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(undocumented)).StatusCode);
        }
    }

    [Fact]
    public async Task Metrics_need_the_admin_role_because_they_name_every_tenant()
    {
        using var user = Server.For(ServerFixture.NewTenant(), "someone", "user");
        var response = await user.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Two_servers_in_one_process_each_count_only_their_own_requests()
    {
        // An embedding host (or a test run) may start several servers in one process; meter listeners are
        // process-wide, so without care each /metrics would add up the other's requests.
        await using var quiet = await RunningServer.StartAsync();
        await using var busy = await RunningServer.StartAsync();
        using var busyClient = busy.Anonymous();
        for (var i = 0; i < 7; i++)
        {
            (await busyClient.GetAsync("/readyz")).EnsureSuccessStatusCode();
        }

        using var busyAdmin = busy.For(ServerFixture.NewTenant(), "operator", "admin");
        using var quietAdmin = quiet.For(ServerFixture.NewTenant(), "operator", "admin");
        var busyMetrics = await busyAdmin.GetStringAsync("/metrics");
        var quietMetrics = await quietAdmin.GetStringAsync("/metrics");
        Assert.Matches("http_server_request_duration_seconds_count\\{[^}]*http_route=\"/readyz\"[^}]*\\} 7", busyMetrics);
        Assert.DoesNotContain("http_route=\"/readyz\"", quietMetrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_valid_Prometheus_text_and_include_request_metrics()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant, "operator", "admin");
        await client.PostAsJsonAsync("/v1/sessions", new { title = "for metrics" });
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);

        // Parsed by the Prometheus project's own Python client parser, which rejects malformed exposition text.
        var families = await ParseWithPrometheusClientAsync(text);
        Assert.Contains("http_server_request_duration_seconds", families);
    }

    [Fact]
    public async Task Health_reports_every_component_with_status_and_details_and_no_secrets()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health");
        Assert.Equal("normal", health.GetProperty("status").GetString());
        var components = health.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Contains("store", components.Keys);
        Assert.Contains("outbox", components.Keys);
        Assert.Equal("sqlite", components["store"].GetProperty("details").GetProperty("engine").GetString());
        foreach (var component in components.Values)
        {
            Assert.Contains(component.GetProperty("status").GetString(), new[] { "normal", "degraded", "down" });
        }

        var key = await File.ReadAllTextAsync(Path.Combine(Server.DataDir, "jwt-hs256.key"));
        Assert.DoesNotContain(key.Trim(), health.GetRawText(), StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> ParseWithPrometheusClientAsync(string text)
    {
        const string Script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\nfor f in text_string_to_metric_families(sys.stdin.read()):\n    print(f.name)\n";
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("python3 did not start");
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "prometheus_client rejected /metrics (install python3-prometheus-client): " + error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
