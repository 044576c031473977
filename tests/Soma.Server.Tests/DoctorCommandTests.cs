using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary>
/// <c>soma doctor</c> as a real process against real engines (SQLite, PostgreSQL, nats-server, a loopback model server):
/// what an operator sees when the deployment is healthy and when one part of it is not.
/// </summary>
public sealed class DoctorCommandTests : IAsyncLifetime
{
    private static readonly string[] AllChecks = ["config", "store", "bus", "memory", "models", "policy", "sandbox", "clock"];
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("soma-doctor-");
    private DevModelServer _model = null!;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _model = await DevModelServer.StartAsync(new DevModelServerOptions(), timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _model.DisposeAsync();
        _data.Delete(recursive: true);
    }

    private Dictionary<string, string> WithModel() => new()
    {
        ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = _model.BaseAddress.ToString(),
        ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
    };

    private static Dictionary<string, JsonElement> Checks(string stdout)
    {
        using var json = JsonDocument.Parse(stdout);
        return json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    [Fact]
    public async Task A_healthy_postgres_and_nats_deployment_passes_every_check_and_exits_0()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartNewAsync();
        var environment = WithModel();
        environment["SOMA__STORE__PROVIDER"] = "postgres";
        environment["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = await postgres.CreateDatabaseAsync();
        environment["SOMA__BUS__PROVIDER"] = "nats";
        environment["SOMA__BUS__NATS__URL"] = nats.Url;
        var (migrated, _, migrateError) = await SomaProcess.RunAsync(["migrate", "--data", _data.FullName], environment);
        Assert.True(migrated == 0, migrateError);

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--json"], environment);
        Assert.True(code == 0, stdout + stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        var checks = Checks(stdout);
        Assert.Equal(AllChecks, checks.Keys);
        Assert.All(checks.Values, c =>
        {
            Assert.True(c.GetProperty("status").GetString() == "ok", c.ToString());
            Assert.Equal(JsonValueKind.Null, c.GetProperty("runbook").ValueKind);
            Assert.False(string.IsNullOrWhiteSpace(c.GetProperty("detail").GetString()));
        });
        Assert.Contains("stream SOMA_EVENTS present", checks["bus"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("between this machine and the database", checks["clock"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("1 endpoint answering: DEV", checks["models"].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_healthy_sqlite_deployment_exits_0_with_the_clock_not_applicable_in_text()
    {
        var (migrated, _, migrateError) = await SomaProcess.RunAsync(["migrate", "--data", _data.FullName]);
        Assert.True(migrated == 0, migrateError);

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName], WithModel());
        Assert.True(code == 0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in AllChecks.Where(n => n != "clock"))
        {
            Assert.Contains(lines, l => l.StartsWith($"ok    {name} ", StringComparison.Ordinal));
        }

        Assert.Contains(lines, l => l.StartsWith("n/a   clock", StringComparison.Ordinal));
        Assert.DoesNotContain("runbook:", stdout, StringComparison.Ordinal);
        Assert.Equal("all checks passed", lines[^1]);
    }

    [Fact]
    public async Task An_unmigrated_postgres_database_fails_the_store_check_naming_its_runbook()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var environment = WithModel();
        environment["SOMA__STORE__PROVIDER"] = "postgres";
        environment["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = await postgres.CreateDatabaseAsync();

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName], environment);
        Assert.True(code == 1, stdout + stderr);
        Assert.Matches(@"fail  store +postgres .*migrations pending .*run soma migrate", stdout);
        Assert.Contains("runbook: docs/runbooks/doctor.md#store", stdout, StringComparison.Ordinal);
        Assert.Contains("1 check failed", stdout, StringComparison.Ordinal);

        // Doctor only reads: the database is still unmigrated afterwards.
        var (again, againOut, _) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--json"], environment);
        Assert.Equal(1, again);
        Assert.Equal("fail", Checks(againOut)["store"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_model_answering_500_and_one_refusing_fail_the_models_check_naming_both()
    {
        var (failing, failingPort) = await LoopbackListener.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        });
        await using var _ = failing;
        var refusing = SomaProcess.FreePort();
        await SomaProcess.RunAsync(["migrate", "--data", _data.FullName]);
        var environment = WithModel();
        environment["SOMA__MODELS__ENDPOINTS__BROKEN__ENDPOINT"] = $"http://127.0.0.1:{failingPort}/v1/";
        environment["SOMA__MODELS__ENDPOINTS__BROKEN__MODEL"] = "m";
        environment["SOMA__MODELS__ENDPOINTS__GONE__ENDPOINT"] = $"http://127.0.0.1:{refusing}/v1/";
        environment["SOMA__MODELS__ENDPOINTS__GONE__MODEL"] = "m";

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--json"], environment);
        Assert.True(code == 1, stdout + stderr);
        var models = Checks(stdout)["models"];
        Assert.Equal("fail", models.GetProperty("status").GetString());
        var detail = models.GetProperty("detail").GetString()!;
        Assert.Contains($"BROKEN (http://127.0.0.1:{failingPort}) answered 500", detail, StringComparison.Ordinal);
        Assert.Contains($"GONE (http://127.0.0.1:{refusing}) does not answer", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("DEV", detail, StringComparison.Ordinal);
        Assert.Equal("docs/runbooks/doctor.md#models", models.GetProperty("runbook").GetString());
        Assert.Equal("ok", Checks(stdout)["store"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Nats_configured_but_not_running_fails_the_bus_check()
    {
        await SomaProcess.RunAsync(["migrate", "--data", _data.FullName]);
        var environment = WithModel();
        environment["SOMA__BUS__PROVIDER"] = "nats";
        environment["SOMA__BUS__NATS__URL"] = $"nats://127.0.0.1:{SomaProcess.FreePort()}";

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName], environment);
        Assert.True(code == 1, stdout + stderr);
        Assert.Matches(@"fail  bus +nats 127\.0\.0\.1:\d+ is not reachable", stdout);
        Assert.Contains("runbook: docs/runbooks/doctor.md#bus", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nats_running_without_the_stream_fails_the_bus_check_until_migrate_creates_it()
    {
        await using var nats = await NatsServer.StartNewAsync();
        await SomaProcess.RunAsync(["migrate", "--data", _data.FullName]); // the in-process bus: no stream is created
        var environment = WithModel();
        environment["SOMA__BUS__PROVIDER"] = "nats";
        environment["SOMA__BUS__NATS__URL"] = nats.Url;

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName], environment);
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("stream SOMA_EVENTS does not exist (run soma migrate)", stdout, StringComparison.Ordinal);

        var (migrated, _, migrateError) = await SomaProcess.RunAsync(["migrate", "--data", _data.FullName], environment);
        Assert.True(migrated == 0, migrateError);
        var (after, afterOut, afterError) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName], environment);
        Assert.True(after == 0, afterOut + afterError);
        Assert.Contains("stream SOMA_EVENTS present", afterOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_policy_folder_fails_the_policy_check_naming_file_and_line()
    {
        using var policy = PolicyFolder.Create();
        policy.Write("policies/broken.rego", "package soma.broken\n\nallow if {\n    input.x ==\n}\n");
        await SomaProcess.RunAsync(["migrate", "--data", _data.FullName]);
        var environment = WithModel();
        environment["SOMA__POLICY__DIRECTORY"] = policy.Path;

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--json"], environment);
        Assert.True(code == 1, stdout + stderr);
        var check = Checks(stdout)["policy"];
        Assert.Equal("fail", check.GetProperty("status").GetString());
        Assert.Matches(@"broken\.rego:\d+", check.GetProperty("detail").GetString()!);
        Assert.Equal("docs/runbooks/doctor.md#policy", check.GetProperty("runbook").GetString());
    }

    [Fact]
    public async Task An_invalid_configuration_fails_the_config_check_and_skips_the_rest()
    {
        var environment = new Dictionary<string, string> { ["SOMA__STORE__PROVIDER"] = "mysql" };
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--json"], environment);
        Assert.True(code == 1, stdout + stderr);
        var checks = Checks(stdout);
        Assert.Equal(AllChecks, checks.Keys);
        Assert.Equal("fail", checks["config"].GetProperty("status").GetString());
        Assert.Contains("Soma:Store:Provider", checks["config"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(AllChecks.Skip(1), n => Assert.Equal("n/a", checks[n].GetProperty("status").GetString()));
        Assert.Empty(_data.GetFiles("soma.db*"));
    }

    [Fact]
    public async Task With_server_it_reports_the_running_servers_components_that_are_not_normal()
    {
        var port = SomaProcess.FreePort();
        var serverEnvironment = new Dictionary<string, string>
        {
            // The server's default sandbox cannot run there: its /v1/health says the sandbox is degraded.
            ["SOMA__SANDBOX__DEFAULTPROFILE"] = "gvisor",
            ["SOMA__SANDBOX__RUNSC"] = "/nonexistent/runsc",
        };
        await using var soma = SomaProcess.Start(["serve", "--data", _data.FullName, "--urls", $"http://127.0.0.1:{port}"], serverEnvironment);
        await soma.WaitForOutputAsync("SomaAgent is listening on", TimeSpan.FromSeconds(60));
        var (issued, token, issueError) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "operator", "--roles", "admin", "--data", _data.FullName]);
        Assert.True(issued == 0, issueError);

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--json", "--server", $"http://127.0.0.1:{port}", "--token", token.Trim()], WithModel());
        Assert.True(code == 0, stdout + stderr); // Degraded is a warning: nothing failed.
        var server = Checks(stdout)["server"];
        Assert.Equal("warn", server.GetProperty("status").GetString());
        Assert.Contains("sandbox degraded", server.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("/nonexistent/runsc", server.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("docs/runbooks/doctor.md#server", server.GetProperty("runbook").GetString());
        // This machine's own configuration has a usable sandbox: only the server's view differs.
        Assert.Equal("ok", Checks(stdout)["sandbox"].GetProperty("status").GetString());

        var (refused, refusedOut, _) = await SomaProcess.RunAsync(["doctor", "--data", _data.FullName, "--server", $"http://127.0.0.1:{port}", "--token", "not-a-token"], WithModel());
        Assert.Equal(1, refused);
        Assert.Contains("answered 401", refusedOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_command_line_exits_2()
    {
        var (code, _, stderr) = await SomaProcess.RunAsync(["doctor", "--no-such-option"]);
        Assert.Equal(2, code);
        Assert.Contains("--no-such-option", stderr, StringComparison.Ordinal);

        var (badUrl, _, badUrlError) = await SomaProcess.RunAsync(["doctor", "--server", "not-a-url", "--token", "t"]);
        Assert.Equal(2, badUrl);
        Assert.Contains("--server 'not-a-url' is not an http(s) URL", badUrlError, StringComparison.Ordinal);
    }
}
