using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Server.Tests.Alerts;
using Soma.Testing;

namespace Soma.Server.Tests.Runbooks;

/// <summary>
/// The two states the runbooks describe, each a real <c>soma serve</c> on its own SQLite data directory, shared by every
/// page that names it:
/// <list type="bullet">
/// <item><c>healthy</c>: every role, a model, a Prometheus (Debian's) scraping it with the shipped rules, a turn, a run
/// waiting for approval (<c>RUN_ID</c>) and an event its schema refuses, dead-lettered by the relay (<c>EVENT_ID</c>).</item>
/// <item><c>degraded</c>: only the gateway role (no worker, relay or sync), its memory service (a SomaBrain stand-in)
/// stopped, its policy folder broken after it loaded, a run nobody picks up (<c>RUN_ID</c>) and a turn whose events and
/// memory writes wait in the outbox.</item>
/// <item><c>store-down</c>: every role on PostgreSQL, whose server is then stopped (<c>PG_URL</c> is its libpq URI).</item>
/// </list>
/// Each page's commands run with <c>soma</c> on PATH and the variables the pages use (<c>SOMA_URL</c>, <c>SOMA_TOKEN</c>,
/// <c>SOMA_DATA</c>, …) plus the server's own <c>SOMA__*</c> configuration, as on the server's node.
/// </summary>
public sealed class RunbookStates : IAsyncLifetime
{
    public static readonly IReadOnlySet<string> Known = new SortedSet<string>(StringComparer.Ordinal) { "healthy", "degraded", "store-down" };

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new("soma-runbooks");
    private readonly Dictionary<string, Dictionary<string, string>> _environments = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private PrometheusServer? _prometheus;

    public async ValueTask InitializeAsync()
    {
        Bin = RunbookShell.SomaOnPath(_work.Path);

        using var timeout = new CancellationTokenSource(Patience);
        var model = await DevModelServer.StartAsync(new DevModelServerOptions(), timeout.Token);
        _owned.Add(model);
        var withModel = new Dictionary<string, string>
        {
            ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = model.BaseAddress.ToString(),
            ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
            ["SOMA__OUTBOX__MONITOR__INTERVALSECONDS"] = "1",
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",
        };

        await Task.WhenAll(StartHealthyAsync(withModel), StartDegradedAsync(withModel), StartStoreDownAsync(withModel));
    }

    /// <summary>The folder holding the <c>soma</c> wrapper.</summary>
    public string Bin { get; private set; } = "";

    /// <summary>The variables a page's commands run with in <paramref name="state"/>.</summary>
    public IReadOnlyDictionary<string, string> Environment(string state) => _environments[state];

    public async ValueTask DisposeAsync()
    {
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }

        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        _work.Dispose();
    }

    private async Task StartHealthyAsync(Dictionary<string, string> withModel)
    {
        var data = Path.Combine(_work.Path, "healthy");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var server = Start("healthy", data, url, [], withModel);
        await server.WaitForOutputAsync("listening on", Patience);
        var token = await TokenAsync(data, server.Stderr);
        using var http = Client(url, token);

        await TurnAsync(http);
        var runId = await StartRunAsync(http);
        await WaitForAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}")).GetProperty("state").GetString() == "waiting", "the approval run to wait");
        await WaitForAsync(async () => (await http.GetStringAsync("/metrics")).Contains("soma_turn_time_to_first_delta", StringComparison.Ordinal), "the turn's first delta");

        var eventId = await PoisonAsync(Path.Combine(data, "soma.db"));

        _prometheus = await PrometheusServer.StartAsync(_work.Path, AlertRules.RulesFile, new Uri(url).Authority, token, Patience);
        var prometheus = _prometheus.Address.ToString().TrimEnd('/');
        _environments["healthy"] = Variables(withModel, url, token, data, new()
        {
            ["RUN_ID"] = runId,
            ["EVENT_ID"] = eventId,
            ["PROMETHEUS"] = prometheus,
        });
    }

    private async Task StartDegradedAsync(Dictionary<string, string> withModel)
    {
        var memory = await SomaBrainStandIn.StartAsync();
        _owned.Add(memory);
        var policy = PolicyFolder.Create();
        _owned.Add(new Disposer(policy.Dispose));
        var settings = new Dictionary<string, string>(withModel)
        {
            ["SOMA__MEMORY__CLIENT__BASEURL"] = memory.BaseAddress.ToString(),
            ["SOMA__MEMORY__CLIENT__APIKEY"] = memory.Token,
            ["SOMA__MEMORY__CLIENT__MAXRETRIES"] = "1",
            ["SOMA__MEMORY__CLIENT__BREAKERBREAKSECONDS"] = "1",
            ["SOMA__POLICY__DIRECTORY"] = policy.Path,
        };
        var data = Path.Combine(_work.Path, "degraded");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var server = Start("degraded", data, url, ["--roles", "gateway"], settings);
        await server.WaitForOutputAsync("listening on", Patience);
        var token = await TokenAsync(data, server.Stderr);
        using var http = Client(url, token);

        await TurnAsync(http);
        var runId = await StartRunAsync(http);

        await memory.StopListeningAsync();
        policy.Write("policies/broken.rego", "package soma.broken\n\nallow if {\n");
        await WaitForAsync(async () => (await http.GetFromJsonAsync<JsonElement>("/v1/memory/status")).GetProperty("mode").GetString() == "down", "the memory mode to be down");
        await WaitForAsync(async () => (await http.GetStringAsync("/metrics")).Contains("outcome=\"failed\"", StringComparison.Ordinal), "the policy reload to fail");
        _environments["degraded"] = Variables(settings, url, token, data, new()
        {
            ["RUN_ID"] = runId,
            ["MEMORY_URL"] = memory.BaseAddress.ToString().TrimEnd('/'),
            ["POLICY_DIR"] = policy.Path,
        });
    }

    private async Task StartStoreDownAsync(Dictionary<string, string> withModel)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var postgres = await PostgresServer.StartAsync(timeout.Token);
        _owned.Add(postgres);
        var connectionString = await postgres.CreateDatabaseAsync(timeout.Token);
        var settings = new Dictionary<string, string>(withModel)
        {
            ["SOMA__STORE__PROVIDER"] = "postgres",
            ["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = connectionString,
        };
        var data = Path.Combine(_work.Path, "store-down");
        var (migrated, _, migrateError) = await SomaProcess.RunAsync(["migrate", "--data", data], settings);
        Assert.True(migrated == 0, migrateError);
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var server = Start("store-down", data, url, [], settings);
        await server.WaitForOutputAsync("listening on", Patience);
        var token = await TokenAsync(data, server.Stderr);
        using (var http = Client(url, token))
        {
            await TurnAsync(http);
        }

        await postgres.StopAsync(timeout.Token);
        _environments["store-down"] = Variables(settings, url, token, data, new()
        {
            ["PG_URL"] = postgres.Uri(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!),
        });
    }

    private SomaProcess Start(string name, string data, string url, string[] extra, Dictionary<string, string> settings)
    {
        var server = SomaProcess.Start(["serve", "--data", data, "--urls", url, .. extra], settings);
        _owned.Add(server);
        return server;
    }

    private Dictionary<string, string> Variables(Dictionary<string, string> settings, string url, string token, string data, Dictionary<string, string> extra)
    {
        var variables = new Dictionary<string, string>(settings)
        {
            ["PATH"] = RunbookShell.Path(Bin),
            ["SOMA_URL"] = url,
            ["SOMA_TOKEN"] = token,
            ["SOMA_DATA"] = data,
        };
        foreach (var (key, value) in extra)
        {
            variables[key] = value;
        }

        return variables;
    }

    private static async Task<string> TokenAsync(string data, string serverLog)
    {
        var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "ops", "--roles", "admin", "--ttl", "2h", "--data", data]);
        Assert.True(code == 0, error + serverLog);
        return token.Trim();
    }

    private static HttpClient Client(string url, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task TurnAsync(HttpClient http)
    {
        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "runbook" });
        created.EnsureSuccessStatusCode();
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "hello" })).EnsureSuccessStatusCode();
    }

    private static async Task<string> StartRunAsync(HttpClient http)
    {
        var response = await http.PostAsJsonAsync("/v1/runs", new { workflow = "demo.approval" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
    }

    /// <summary>
    /// Leaves an event its schema refuses in the outbox, as a writer with a bug would, and waits until the relay has
    /// dead-lettered it (and audited the refusal). Returns its id.
    /// </summary>
    internal static async Task<string> PoisonAsync(string db)
    {
        var eventId = Guid.CreateVersion7().ToString("D");
        var now = DateTimeOffset.UtcNow.UtcTicks.ToString(CultureInfo.InvariantCulture);
        await Sqlite3Async(db, $"INSERT INTO outbox (id, tenant_id, topic, dedupe_key, payload, created_at, next_attempt_at) VALUES ('{eventId}', 'default', 'agent.runs.v1', 'runbook-poison-{eventId}', '{{\"type\":\"run.started\",\"tenant_id\":\"default\"}}', {now}, {now})");
        await WaitForAsync(async () => (await Sqlite3Async(db, $"SELECT status FROM outbox WHERE id = '{eventId}'")).Trim() == "2", "the relay to dead-letter the refused event");
        await WaitForAsync(async () => (await Sqlite3Async(db, $"SELECT count(*) FROM audit_log WHERE resource = 'event:{eventId}'")).Trim() != "0", "the relay to audit the refusal");
        return eventId;
    }

    internal static async Task<string> Sqlite3Async(string db, string sql)
    {
        var start = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-cmd", ".timeout 5000", db, sql])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"sqlite3 failed: {await error}");
        return await output;
    }

    internal static async Task WaitForAsync(Func<Task<bool>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(200);
        }
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
