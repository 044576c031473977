using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.Server.Tests.Tracing;

/// <summary>
/// A gateway (<c>soma serve --roles gateway</c>) and a worker (<c>--roles worker,relay,sync</c>) in two processes on one
/// PostgreSQL and one nats-server, both exporting OTLP/HTTP to a loopback receiver: one turn is one trace across them.
/// </summary>
public sealed class CrossProcessTraceTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _root = new("soma-trace");
    private PostgresServer _postgres = null!;
    private NatsServer _nats = null!;
    private DevModelServer _model = null!;
    private OtlpTraceReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync();
        _nats = await NatsServer.StartNewAsync();
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        _receiver = await OtlpTraceReceiver.StartAsync();
        _postgres = await postgres;
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _model.DisposeAsync();
        await _nats.DisposeAsync();
        await _postgres.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task The_gateway_and_the_worker_export_one_trace_for_one_turn()
    {
        var key = Path.Combine(_root.Path, "jwt-hs256.key");
        var shared = new Dictionary<string, string>
        {
            ["SOMA__AUTH__HS256KEYPATH"] = key,
            ["SOMA__STORE__PROVIDER"] = "postgres",
            ["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = await _postgres.CreateDatabaseAsync(),
            ["SOMA__BUS__PROVIDER"] = "nats",
            ["SOMA__BUS__NATS__URL"] = _nats.Url,
            ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = _model.BaseAddress.ToString(),
            ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        var migrate = await SomaProcess.RunAsync(["migrate", "--data", Path.Combine(_root.Path, "migrate")], shared);
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        var token = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "tracer", "--ttl", "1h"], shared);
        Assert.True(token.ExitCode == 0, token.Stderr);

        var gatewayUrl = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gateway = SomaProcess.Start(
            ["serve", "--roles", "gateway", "--data", Path.Combine(_root.Path, "gateway"), "--urls", gatewayUrl],
            new Dictionary<string, string>(shared) { ["OTEL_SERVICE_NAME"] = "soma-gateway" });
        await using var worker = SomaProcess.Start(
            ["serve", "--roles", "worker,relay,sync", "--data", Path.Combine(_root.Path, "worker"), "--urls", $"http://127.0.0.1:{FreePort.Next()}"],
            new Dictionary<string, string>(shared) { ["OTEL_SERVICE_NAME"] = "soma-worker" });
        await Task.WhenAll(gateway.WaitForOutputAsync("listening on", Patience), worker.WaitForOutputAsync("listening on", Patience));

        using var http = new HttpClient { BaseAddress = new Uri(gatewayUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Stdout.Trim());
        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "traced" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var accepted = await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "hello across processes" });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await EventuallyAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}")).GetProperty("state").GetString() == "succeeded", "the turn to succeed");

        // The gateway's POST span starts the trace; the worker's run span is its child, in the other process.
        var post = await EventuallyAsync(
            () => Task.FromResult(_receiver.Spans.FirstOrDefault(s => s.Service == "soma-gateway" && s.Name == "POST /v1/sessions/{id:guid}/messages")),
            "the gateway's POST span");
        var run = await EventuallyAsync(
            () => Task.FromResult(_receiver.Spans.FirstOrDefault(s => s.Service == "soma-worker" && s.Name.StartsWith("run ", StringComparison.Ordinal) && s.TraceId == post.TraceId)),
            "the worker's run span in the POST's trace");
        Assert.Equal(post.SpanId, run.ParentSpanId);
        var model = await EventuallyAsync(
            () => Task.FromResult(_receiver.Spans.FirstOrDefault(s => s.Service == "soma-worker" && s.Scope == "Soma.Agents" && s.TraceId == post.TraceId)),
            "the worker's model span in the POST's trace");
        Assert.Equal("chat soma-dev", model.Name);
        Assert.DoesNotContain(_receiver.Spans, s => s.Service == "soma-gateway" && s.Name.StartsWith("run ", StringComparison.Ordinal));

        // The worker's log line about the run carries the turn's trace id, so an operator can go from a log to the trace.
        var logged = await worker.WaitForOutputAsync($"TraceId:{post.TraceId}", Patience);
        Assert.Contains(logged.Split('\n'), line => line.Contains($"TraceId:{post.TraceId}", StringComparison.Ordinal) && line.Contains("SpanId:", StringComparison.Ordinal));
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await probe() is { } value && value is not false)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"Waited {Patience.TotalSeconds:0} s for {what}."));
            }

            await Task.Delay(100);
        }
    }
}
