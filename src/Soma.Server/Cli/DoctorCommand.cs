using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using Npgsql;
using Soma.Agents.Models;
using Soma.Core.Health;
using Soma.Core.Storage;
using Soma.Memory.Client;
using Soma.Messaging.Nats;
using Soma.Policy.Bundles;
using Soma.Policy.Hosting;
using Soma.Server.Hosting;
using Soma.Storage.Postgres;
using Soma.Storage.Sqlite;
using Soma.Tools.Sandbox;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma doctor</c>: checks a deployment from the operator's seat, with this machine's configuration — configuration
/// valid, store reachable and migrated, bus stream present, memory mode, model endpoints answering, policy loaded,
/// sandbox usable, clock skew — and names the runbook for each problem. Nothing is written: the store is read, never
/// created or migrated. With <c>--server</c>, also a running server's own <c>/v1/health</c>. Exit 0 when no check fails
/// (warnings allowed), 1 when one does, 2 on a bad command line.
/// </summary>
internal static class DoctorCommand
{
    /// <summary>The page whose anchors (one per check) the output names.</summary>
    public const string Runbook = "docs/runbooks/doctor.md";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SkewWarning = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var json = new Option<bool>("--json") { Description = "Print the checks as JSON: {\"ok\": …, \"checks\": [{name, status, detail, runbook}]}." };
        var server = new Option<string?>("--server") { Description = "Also read a running server's /v1/health and report every component that is not normal.", HelpName = "url" };
        var token = new Option<string?>("--token") { Description = "Bearer token for --server (default $SOMA_TOKEN).", HelpName = "token" };
        var command = new Command("doctor", "Check this deployment (configuration, store, bus, memory, models, policy, sandbox, clock) and name the runbook for each problem.") { data, json, server, token };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(data), parse.GetValue(json), parse.GetValue(server), parse.GetValue(token), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? dataDir, bool asJson, string? serverUrl, string? token, CancellationToken cancellationToken)
    {
        Uri? server = null;
        if (serverUrl is not null && (!Uri.TryCreate(serverUrl, UriKind.Absolute, out server) || server.Scheme is not ("http" or "https")))
        {
            await Console.Error.WriteLineAsync($"soma: --server '{serverUrl}' is not an http(s) URL.");
            return ExitCodes.BadInput;
        }

        token ??= Environment.GetEnvironmentVariable("SOMA_TOKEN");
        if (server is not null && string.IsNullOrEmpty(token))
        {
            await Console.Error.WriteLineAsync("soma: --server needs a token: pass --token or set SOMA_TOKEN (soma token issue mints one).");
            return ExitCodes.BadInput;
        }

        var checks = new List<DoctorCheck>();
        WebApplication? app = null;
        try
        {
            app = SomaApp.Build(new ServeSettings(dataDir, Roles: "gateway")
            {
                Extra = new Dictionary<string, string?>
                {
                    ["Logging:LogLevel:Default"] = "None",
                    ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
                },
            });
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            checks.Add(DoctorCheck.Ok("config", "the configuration is valid (the same checks as soma serve)"));
        }
        catch (Exception ex) when (ServeCommand.ConfigurationFailures(ex) is { } failures)
        {
            checks.Add(DoctorCheck.Fail("config", string.Join("; ", failures)));
        }

        if (app is null || checks[0].Status != DoctorStatus.Ok)
        {
            foreach (var name in (string[])["store", "bus", "memory", "models", "policy", "sandbox", "clock"])
            {
                checks.Add(new DoctorCheck(name, DoctorStatus.NotApplicable, "not checked: the configuration is not valid"));
            }
        }
        else
        {
            await using (app)
            {
                var (store, clock) = await CheckStoreAsync(app.Services, cancellationToken);
                checks.Add(store);
                checks.Add(await CheckBusAsync(app.Services, app.Configuration, cancellationToken));
                checks.Add(await CheckMemoryAsync(app.Services, cancellationToken));
                checks.Add(await CheckModelsAsync(app.Services, cancellationToken));
                checks.Add(CheckPolicy(app.Services));
                checks.Add(await CheckSandboxAsync(app.Services, cancellationToken));
                checks.Add(clock);
            }
        }

        if (server is not null)
        {
            checks.Add(await CheckServerAsync(server, token!, cancellationToken));
        }

        var ok = checks.All(c => c.Status != DoctorStatus.Fail);
        if (asJson)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
            {
                ok,
                checks = checks.Select(c => new { name = c.Name, status = c.StatusName, detail = c.Detail, runbook = c.RunbookPath }),
            }, Indented));
        }
        else
        {
            foreach (var check in checks)
            {
                await Console.Out.WriteLineAsync($"{check.StatusName,-5} {check.Name,-8} {check.Detail}");
                if (check.RunbookPath is { } runbook)
                {
                    await Console.Out.WriteLineAsync($"      {"",-8} runbook: {runbook}");
                }
            }

            var failed = checks.Count(c => c.Status == DoctorStatus.Fail);
            await Console.Out.WriteLineAsync(ok ? "all checks passed" : $"{failed} check{(failed == 1 ? string.Empty : "s")} failed");
        }

        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    // Reachable, every migration this build carries applied, and the database's clock (PostgreSQL only).
    private static async Task<(DoctorCheck Store, DoctorCheck Clock)> CheckStoreAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IStore>();
        var clockNa = new DoctorCheck("clock", DoctorStatus.NotApplicable, "n/a: the SQLite store shares this machine's clock");
        if (store.Engine == "sqlite")
        {
            var path = Path.GetFullPath(services.GetRequiredService<IOptions<SqliteStoreOptions>>().Value.Path);
            if (!File.Exists(path))
            {
                return (DoctorCheck.Fail("store", $"sqlite: no database at {path} (run soma migrate)"), clockNa);
            }

            try
            {
                var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
                using var connection = new SqliteConnection(builder.ToString());
                await connection.OpenAsync(cancellationToken);
                var applied = await AppliedAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", cancellationToken);
                return (MigrationCheck("sqlite", path, applied, EmbeddedMigrations.Load(typeof(SqliteStoreOptions).Assembly)), clockNa);
            }
            catch (SqliteException ex)
            {
                return (DoctorCheck.Fail("store", $"sqlite: {path} cannot be read: {ex.Message}"), clockNa);
            }
        }

        var options = services.GetRequiredService<IOptions<PostgresStoreOptions>>().Value;
        var settings = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Timeout = (int)ProbeTimeout.TotalSeconds, Pooling = false };
        var where = $"{settings.Host}:{settings.Port}/{settings.Database}";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout * 2);
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(timeout.Token);
            var applied = await AppliedAsync(connection, "SELECT to_regclass('schema_migrations') IS NOT NULL", timeout.Token);
            var check = MigrationCheck("postgres", where, applied, EmbeddedMigrations.Load(typeof(PostgresStoreOptions).Assembly));

            var before = TimeProvider.System.GetUtcNow();
            await using var now = new NpgsqlCommand("SELECT now()", connection);
            var databaseNow = (DateTime)(await now.ExecuteScalarAsync(timeout.Token))!;
            var after = TimeProvider.System.GetUtcNow();
            var local = before + ((after - before) / 2);
            var skew = new DateTimeOffset(databaseNow.ToUniversalTime(), TimeSpan.Zero) - local;
            var skewText = string.Create(CultureInfo.InvariantCulture, $"{skew.TotalSeconds:+0.000;-0.000} s between this machine and the database ({where})");
            var clock = skew.Duration() > SkewWarning
                ? new DoctorCheck("clock", DoctorStatus.Warn, skewText + $"; over {SkewWarning.TotalSeconds:0} s")
                : DoctorCheck.Ok("clock", skewText);
            return (check, clock);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return (DoctorCheck.Fail("store", $"postgres {where} is not reachable: {ex.Message}"),
                new DoctorCheck("clock", DoctorStatus.NotApplicable, "not checked: the store is not reachable"));
        }
    }

    // The names in schema_migrations, or null when the table does not exist (nothing was ever migrated).
    private static async Task<HashSet<string>?> AppliedAsync(System.Data.Common.DbConnection connection, string tableExists, CancellationToken cancellationToken)
    {
        await using (var exists = connection.CreateCommand())
        {
            exists.CommandText = tableExists;
            var result = await exists.ExecuteScalarAsync(cancellationToken);
            if (result is null or DBNull or false)
            {
                return null;
            }
        }

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM schema_migrations";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }

    private static DoctorCheck MigrationCheck(string engine, string where, HashSet<string>? applied, IReadOnlyList<(string Name, string Sql)> known)
    {
        var pending = known.Select(m => m.Name).Where(n => applied is null || !applied.Contains(n)).ToList();
        if (pending.Count == 0)
        {
            return DoctorCheck.Ok("store", $"{engine} {where}: reachable, {known.Count} migrations applied");
        }

        var first = string.Join(", ", pending.Take(3)) + (pending.Count > 3 ? ", …" : string.Empty);
        return DoctorCheck.Fail("store", $"{engine} {where}: {pending.Count} of {known.Count} migrations pending ({first}); run soma migrate");
    }

    private static async Task<DoctorCheck> CheckBusAsync(IServiceProvider services, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (!string.Equals(configuration[$"{Core.Messaging.BusOptions.SectionName}:Provider"], "nats", StringComparison.OrdinalIgnoreCase))
        {
            return DoctorCheck.Ok("bus", "in-process (Soma:Bus:Provider is not nats): nothing to reach");
        }

        var options = services.GetRequiredService<IOptions<NatsBusOptions>>().Value;
        var hosts = NatsConnectionFactory.Hosts(options.Url);
        await using var connection = NatsConnectionFactory.Create(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NATS.Client.Core.NatsException or OperationCanceledException or TimeoutException)
        {
            return DoctorCheck.Fail("bus", $"nats {hosts} is not reachable: {(ex is OperationCanceledException ? $"no connection within {ProbeTimeout.TotalSeconds:0} s" : ex.Message)}");
        }

        try
        {
            var stream = await new NatsJSContext(connection).GetStreamAsync(options.Stream, cancellationToken: timeout.Token);
            return DoctorCheck.Ok("bus", $"nats {hosts}: stream {options.Stream} present ({stream.Info.State.Messages} messages)");
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return DoctorCheck.Fail("bus", $"nats {hosts}: stream {options.Stream} does not exist (run soma migrate)");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NATS.Client.Core.NatsException or OperationCanceledException)
        {
            return DoctorCheck.Fail("bus", $"nats {hosts}: JetStream did not answer: {ex.Message}");
        }
    }

    private static async Task<DoctorCheck> CheckMemoryAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var baseUrl = services.GetRequiredService<IOptions<MemoryClientOptions>>().Value.BaseUrl;
        if (baseUrl is null)
        {
            return DoctorCheck.Ok("memory", "built-in memory service on this store (Soma:Memory:Client:BaseUrl is not set)");
        }

        var monitor = services.GetRequiredService<MemoryHealthMonitor>();
        var probe = await monitor.ProbeAsync(cancellationToken);
        var where = baseUrl.GetLeftPart(UriPartial.Authority);
        return probe.Outcome switch
        {
            "healthy" => DoctorCheck.Ok("memory", $"memory service {where} healthy ({probe.Latency.TotalMilliseconds:0} ms)"),
            "slow" or "degraded" => new DoctorCheck("memory", DoctorStatus.Warn, $"memory service {where} is {probe.Outcome} (status {probe.Status ?? "?"}, {probe.Latency.TotalMilliseconds:0} ms): memory runs degraded"),
            _ => DoctorCheck.Fail("memory", $"memory service {where}: {probe.Outcome}{(probe.Error is null ? string.Empty : $" ({probe.Error})")}; writes wait in the outbox"),
        };
    }

    // A cheap request to each endpoint (GET {endpoint}/models, as OpenAI-compatible servers answer), short timeout.
    private static async Task<DoctorCheck> CheckModelsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        if (options.Endpoints.Count == 0)
        {
            return new DoctorCheck("models", DoctorStatus.Warn, "no model is configured (Soma:Models:Endpoints): turns cannot run");
        }

        using var http = new HttpClient { Timeout = ProbeTimeout };
        var problems = new List<string>();
        var answered = new List<string>();
        foreach (var (name, endpoint) in options.Endpoints.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
        {
            var root = endpoint.Endpoint!.AbsoluteUri.TrimEnd('/');
            using var request = new HttpRequestMessage(HttpMethod.Get, root + "/models");
            if (!string.IsNullOrEmpty(endpoint.ApiKey))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
            }

            var where = endpoint.Endpoint.GetLeftPart(UriPartial.Authority);
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    answered.Add(name);
                }
                else
                {
                    problems.Add($"{name} ({where}) answered {(int)response.StatusCode} {response.ReasonPhrase}");
                }
            }
            catch (HttpRequestException ex)
            {
                problems.Add($"{name} ({where}) does not answer: {ex.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                problems.Add($"{name} ({where}) did not answer within {ProbeTimeout.TotalSeconds:0} s");
            }
        }

        return problems.Count == 0
            ? DoctorCheck.Ok("models", $"{answered.Count} endpoint{(answered.Count == 1 ? string.Empty : "s")} answering: {string.Join(", ", answered)}")
            : DoctorCheck.Fail("models", string.Join("; ", problems));
    }

    // The folder loads, compiles and its tests pass, as the policy reloader loads it.
    private static DoctorCheck CheckPolicy(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<PolicyOptions>>().Value;
        if (!string.Equals(options.Provider, "rego", StringComparison.OrdinalIgnoreCase))
        {
            return DoctorCheck.Ok("policy", $"provider {options.Provider}: decided outside this process");
        }

        var directory = options.ResolveDirectory();
        var loaded = PolicyBundleLoader.Load([directory], TimeProvider.System.GetUtcNow(), options.RequireTests);
        if (loaded.Bundle is not { } bundle)
        {
            var errors = loaded.Errors.Take(3).ToList();
            return DoctorCheck.Fail("policy", $"{directory} does not load ({loaded.Errors.Count} error{(loaded.Errors.Count == 1 ? string.Empty : "s")}): {string.Join("; ", errors)}");
        }

        return DoctorCheck.Ok("policy", $"{directory}: {bundle.Files.Count} files, {bundle.Tests} tests passed, version {bundle.Version}");
    }

    // A running server's own view: every /v1/health component that is not normal (degraded warns, down fails).
    private static async Task<DoctorCheck> CheckServerAsync(Uri server, string token, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = ProbeTimeout * 2 };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, "/v1/health"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var where = server.GetLeftPart(UriPartial.Authority);
        JsonDocument health;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return DoctorCheck.Fail("server", $"{where}/v1/health answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException ex)
        {
            return DoctorCheck.Fail("server", $"{where} does not answer: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Fail("server", $"{where} did not answer within {(ProbeTimeout * 2).TotalSeconds:0} s");
        }
        catch (JsonException)
        {
            return DoctorCheck.Fail("server", $"{where}/v1/health did not answer JSON");
        }

        using (health)
        {
            var components = health.RootElement.GetProperty("components").EnumerateArray()
                .Select(c => (Name: c.GetProperty("name").GetString()!, Status: c.GetProperty("status").GetString()!, Details: c.GetProperty("details")))
                .ToList();
            var unwell = components.Where(c => c.Status != "normal").ToList();
            if (unwell.Count == 0)
            {
                return DoctorCheck.Ok("server", $"{where}: all {components.Count} components normal");
            }

            var detail = $"{where}: " + string.Join("; ", unwell.Select(c => $"{c.Name} {c.Status} {c.Details.GetRawText()}"));
            return unwell.Any(c => c.Status == "down") ? DoctorCheck.Fail("server", detail) : new DoctorCheck("server", DoctorStatus.Warn, detail);
        }
    }

    private static async Task<DoctorCheck> CheckSandboxAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var reporter = services.GetServices<IHealthReporter>().OfType<SandboxHealth>().FirstOrDefault();
        if (reporter is null)
        {
            return new DoctorCheck("sandbox", DoctorStatus.NotApplicable, "n/a: no sandbox is registered");
        }

        var health = await reporter.CheckHealthAsync(cancellationToken);
        var profiles = string.Join("; ", health.Details.Where(d => d.Key != "default_profile").Select(d => $"{d.Key}: {d.Value}"));
        var detail = $"default {health.Details.GetValueOrDefault("default_profile")}; {profiles}";
        return health.Status == HealthStatus.Normal
            ? DoctorCheck.Ok("sandbox", detail)
            : DoctorCheck.Fail("sandbox", detail + " (sandboxed tools refuse every call)");
    }
}

/// <summary>How a doctor check came out.</summary>
internal enum DoctorStatus
{
    Ok,
    Warn,
    Fail,
    NotApplicable,
}

/// <summary>One line of <c>soma doctor</c>: the check, how it came out, why, and the runbook section when it is not ok.</summary>
internal sealed record DoctorCheck(string Name, DoctorStatus Status, string Detail)
{
    public static DoctorCheck Ok(string name, string detail) => new(name, DoctorStatus.Ok, detail);

    public static DoctorCheck Fail(string name, string detail) => new(name, DoctorStatus.Fail, detail);

    public string StatusName => Status switch
    {
        DoctorStatus.Ok => "ok",
        DoctorStatus.Warn => "warn",
        DoctorStatus.Fail => "fail",
        _ => "n/a",
    };

    public string? RunbookPath => Status is DoctorStatus.Warn or DoctorStatus.Fail ? $"{DoctorCommand.Runbook}#{Name}" : null;
}
