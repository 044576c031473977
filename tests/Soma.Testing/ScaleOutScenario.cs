using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Soma.Testing;

/// <summary>
/// Scale-out, end to end, with real processes started from the built <c>soma</c>: one PostgreSQL, one nats-server
/// (JetStream), the memory service (<c>soma serve --roles memory</c>, SQLite), the loopback model, two gateways
/// (<c>--roles gateway</c>) and two workers (<c>--roles worker,relay,sync</c>), all on the one store, bus and HS256 key.
/// Each session's messages go round-robin to the two gateways, one after another (the next once the previous answer is
/// final), while the session's events are read from the other gateway than its first message's; one worker is
/// <c>kill -9</c>ed once while an answer it writes is streaming, and started again. Once every answer is final and the
/// outbox is empty, the scenario reads the JetStream stream and the outbox and reports what it saw. It asserts nothing
/// itself; a test or a benchmark judges the report.
/// </summary>
public sealed partial class ScaleOutScenario : IAsyncDisposable
{
    private const int ServeProcesses = 5;
    private readonly ScaleOutOptions _options;
    private readonly TempDirectory _root = new("soma-scaleout");
    private readonly int _modelPort = FreePort.Next();
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _policyVersions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(int Session, int Message), Sent> _sent = new();
    private readonly ConcurrentDictionary<Guid, Sent> _byRun = new();
    private readonly Lock _gate = new();
    private readonly StringBuilder _pastLogs = new();
    private readonly List<string> _failedStarts = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<SessionWatch> _watches = [];
    private PostgresServer? _postgres;
    private NatsServer? _nats;
    private SomaProcess? _model;
    private string _connectionString = "";
    private HttpClient[] _users = [];
    private HttpClient[] _streams = [];
    private readonly string _logDirectory;
    private int _retried;

    private ScaleOutScenario(ScaleOutOptions options)
    {
        _options = options;
        _logDirectory = options.LogDirectory ?? Path.Combine(Path.GetTempPath(), $"soma-scaleout-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
    }

    private string KeyPath => Path.Combine(_root.Path, "shared", "jwt-hs256.key");

    /// <summary>Runs the scenario; every process and engine it started is stopped when it returns or throws.</summary>
    public static async Task<ScaleOutReport> RunAsync(ScaleOutOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Sessions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MessagesPerSession, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Words, 1);
        await using var scenario = new ScaleOutScenario(options);
        try
        {
            return await scenario.RunCoreAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{ex.Message}\nprocess logs: {scenario._logDirectory}\n{scenario.Diagnostics()}", ex);
        }
    }

    // Every process's output, the killed worker's included (past.log).
    private void WriteLogs()
    {
        var directory = _logDirectory;
        Directory.CreateDirectory(directory);
        lock (_gate)
        {
            File.WriteAllText(Path.Combine(directory, "past.log"), _pastLogs.ToString());
        }

        foreach (var (name, node) in _nodes)
        {
            File.WriteAllText(Path.Combine(directory, $"{name}.log"), $"{node.Process?.Stdout}\n===== stderr:\n{node.Process?.Stderr}");
        }

        File.WriteAllText(Path.Combine(directory, "model.log"), $"{_model?.Stdout}\n===== stderr:\n{_model?.Stderr}");
        File.WriteAllText(Path.Combine(directory, "nats.log"), _nats?.Output() ?? "");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var watch in _watches)
        {
            watch.Dispose();
        }

        WriteLogs();

        foreach (var client in _users.Concat(_streams).Concat(_nodes.Values.Select(n => n.Admin).OfType<HttpClient>()))
        {
            client.Dispose();
        }

        foreach (var node in _nodes.Values)
        {
            if (node.Process is { } process)
            {
                await process.DisposeAsync();
            }
        }

        if (_model is not null)
        {
            await _model.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        _root.Dispose();
    }

    private void Log(string line) => _options.Log?.Invoke($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {line}");

    private async Task<ScaleOutReport> RunCoreAsync(CancellationToken cancellationToken)
    {
        var patience = _options.Patience;
        var engines = StartEnginesAsync(cancellationToken);
        _model = SomaProcess.Start(["dev", "model-server", "--port", _modelPort.ToString(CultureInfo.InvariantCulture),
            "--chunk-delay-ms", _options.ChunkDelayMilliseconds.ToString(CultureInfo.InvariantCulture)]);

        // The key: 'soma token issue' creates it when it is missing (first, alone: nothing else may race to create it);
        // every process then reads the same file. The memory service starts while the engines do.
        Directory.CreateDirectory(Path.GetDirectoryName(KeyPath)!);
        var keyOnly = new Dictionary<string, string> { ["SOMA__AUTH__HS256KEYPATH"] = KeyPath };
        var memoryToken = await TokenAsync(keyOnly, "default", "sync", "memory");
        var userToken = TokenAsync(keyOnly, _options.Tenant, "scale-tester", null);
        var adminToken = TokenAsync(keyOnly, _options.Tenant, "scale-admin", "admin");
        var memory = AddNode("memory", ["memory"], keyOnly);
        memory.Process = SomaProcess.Start(memory.Arguments, memory.Environment);
        await engines;
        await _model.WaitForOutputAsync("listening on", patience);
        Log($"PostgreSQL on {_postgres!.Port}, nats-server on {_nats!.Port}, model on {_modelPort}");

        var shared = new Dictionary<string, string>(keyOnly)
        {
            ["SOMA__STORE__PROVIDER"] = "postgres",
            ["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = _connectionString,
            ["SOMA__BUS__PROVIDER"] = "nats",
            ["SOMA__BUS__NATS__URL"] = _nats.Url,
            ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = $"http://127.0.0.1:{_modelPort}/v1/",
            ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
            ["SOMA__MEMORY__CLIENT__BASEURL"] = memory.Url,
            ["SOMA__MEMORY__CLIENT__APIKEY"] = memoryToken,

            // A killed worker's runs are taken over soon.
            ["SOMA__ORCHESTRATION__LEASESECONDS"] = "4",
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",

            // Every message is admitted: no limit may refuse one.
            ["SOMA__GATEWAY__MAXCONCURRENTTURNS"] = "1000000",
            ["SOMA__GATEWAY__REQUESTSPERSECOND"] = "1000000",
            ["SOMA__GATEWAY__REQUESTBURST"] = "1000000",
        };

        // The schema and the JetStream stream, once, before any server starts.
        var migrate = await SomaProcess.RunAsync(["migrate", "--data", Path.Combine(_root.Path, "migrate")], shared);
        if (migrate.ExitCode != 0)
        {
            throw new InvalidOperationException($"soma migrate failed ({migrate.ExitCode}):\n{migrate.Stdout}\n{migrate.Stderr}");
        }

        Log($"soma migrate: {migrate.Stdout.Trim().ReplaceLineEndings(" ")}");
        var gateways = new[] { AddNode("gateway-0", ["gateway"], shared), AddNode("gateway-1", ["gateway"], shared) };
        var workers = new[] { AddNode("worker-0", ["worker", "relay", "sync"], shared), AddNode("worker-1", ["worker", "relay", "sync"], shared) };
        foreach (var node in gateways.Concat(workers))
        {
            node.Process = SomaProcess.Start(node.Arguments, node.Environment);
        }

        await Task.WhenAll(_nodes.Values.Select(n => n.Process!.WaitForOutputAsync("listening on", patience)).Append(userToken).Append(adminToken));
        Log("memory service, 2 gateways and 2 workers listening");

        var user = await userToken;
        var admin = await adminToken;
        _users = [.. gateways.Select(g => Client(g.Url, user, TimeSpan.FromSeconds(30)))];
        _streams = [.. gateways.Select(g => Client(g.Url, user, Timeout.InfiniteTimeSpan))];
        foreach (var node in _nodes.Values)
        {
            node.Admin = Client(node.Url, admin, TimeSpan.FromSeconds(10));
        }

        // Sessions are created on alternate gateways; each one's events are read from the other gateway than the one its
        // first message goes to (message k of session s goes to gateway (s + k) mod 2).
        var sessions = new List<Guid>();
        for (var s = 0; s < _options.Sessions; s++)
        {
            using var created = await _users[s % 2].PostAsJsonAsync("/v1/sessions", new { title = $"scale {s}" }, cancellationToken);
            created.EnsureSuccessStatusCode();
            sessions.Add((await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetGuid());
        }

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        for (var s = 0; s < _options.Sessions; s++)
        {
            _watches.Add(new SessionWatch(sessions[s], _streams[(s + 1) % 2], $"gateway-{(s + 1) % 2}"));
        }

        var readers = _watches.Select(w => w.RunAsync(reading.Token)).ToList();
        await Task.WhenAll(_watches.Select(w => w.OpenedAsync(patience)));
        Log($"{_options.Sessions} session streams open; sending {_options.Messages} messages");

        var turns = Stopwatch.StartNew();
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var senders = sessions.Select((session, s) => SendAllAsync(session, s, sending.Token)).ToList();
        var killer = KillOneWorkerMidTurnAsync(workers, senders, cancellationToken);
        try
        {
            await Task.WhenAll(senders);
        }
        catch
        {
            await sending.CancelAsync();
            throw;
        }

        var turnsDuration = turns.Elapsed;
        var kill = await killer;
        Log($"every answer final after {turnsDuration.TotalSeconds:0.0} s");

        // A stream could still show a repeated final or a late delta: the gateway reads the store at least every 2 s.
        await Task.Delay(TimeSpan.FromSeconds(2.5), cancellationToken);
        await reading.CancelAsync();
        await Task.WhenAll(readers);

        await WaitUntilAsync(async () => await PendingAsync(cancellationToken) == 0, "the outbox to empty (status 0 rows)", cancellationToken);
        await WaitUntilAsync(async () => (await RunStatesAsync(cancellationToken)).Keys.All(k => k is not ("accepted" or "running")), "every run to end", cancellationToken);
        var health = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            await WaitUntilAsync(async () => await HealthAsync(health, cancellationToken), "/v1/health 'normal' on every soma serve process", cancellationToken);
        }
        catch (TimeoutException ex)
        {
            // Reported, not thrown: the test names the process and its components.
            Log(ex.Message);
        }

        Log("outbox empty; reading the JetStream stream and the outbox");
        return await ReportAsync(kill, turnsDuration, health, cancellationToken);
    }

    private async Task StartEnginesAsync(CancellationToken cancellationToken)
    {
        var postgres = PostgresServer.StartAsync(cancellationToken);
        _nats = await NatsServer.StartNewAsync(cancellationToken: cancellationToken);
        _postgres = await postgres;
        _connectionString = await _postgres.CreateDatabaseAsync(cancellationToken);
    }

    private Node AddNode(string name, string[] roles, IReadOnlyDictionary<string, string> environment)
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var node = new Node(name, url, ["serve", "--roles", string.Join(',', roles), "--data", Path.Combine(_root.Path, name), "--urls", url], environment);
        _nodes.Add(name, node);
        return node;
    }

    private static HttpClient Client(string url, string token, TimeSpan timeout)
    {
        var client = new HttpClient { BaseAddress = new Uri(url), Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> TokenAsync(IReadOnlyDictionary<string, string> environment, string tenant, string subject, string? roles)
    {
        List<string> args = ["token", "issue", "--tenant", tenant, "--sub", subject, "--ttl", "1d"];
        if (roles is not null)
        {
            args.AddRange(["--roles", roles]);
        }

        var (code, stdout, stderr) = await SomaProcess.RunAsync(args, environment);
        return code == 0 ? stdout.Trim() : throw new InvalidOperationException($"soma token issue failed ({code}): {stderr}");
    }

    // The message text: distinct per turn, nothing the loopback model reads as a tool call or a directive. It answers
    // "You said: <text>", one chunk per word.
    private string MessageText(int session, int message) =>
        string.Join(' ', Enumerable.Range(1, _options.Words).Select(w => string.Create(CultureInfo.InvariantCulture, $"s{session}m{message}w{w}")));

    // One sender per session: message k goes to gateway (s + k) mod 2 with its Idempotency-Key (sent again on a
    // connection failure, 429 or 503); the next goes once this one's answer is final on the session's stream.
    private async Task SendAllAsync(Guid session, int s, CancellationToken cancellationToken)
    {
        var watch = _watches[s];
        for (var k = 0; k < _options.MessagesPerSession; k++)
        {
            var gateway = (s + k) % 2;
            var content = MessageText(s, k);
            var key = $"scale-{s}-{k}";
            var deadline = DateTime.UtcNow + _options.Patience;
            Sent? sent = null;
            for (var attempt = 0; sent is null; attempt++)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"session {s} message {k} ({key}) was not accepted by gateway-{gateway} within {_options.Patience}.");
                }

                if (attempt > 0)
                {
                    Interlocked.Increment(ref _retried);
                    await Task.Delay(200, cancellationToken);
                }

                using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{session}/messages") { Content = JsonContent.Create(new { content }) };
                request.Headers.Add("Idempotency-Key", key);
                HttpResponseMessage response;
                try
                {
                    response = await _users[gateway].SendAsync(request, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                using (response)
                {
                    if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                    {
                        Log($"{(int)response.StatusCode} for session {s} message {k}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                        continue;
                    }

                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        throw new InvalidOperationException($"session {s} message {k}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    }

                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                    sent = new Sent(session, s, k, gateway, body.GetProperty("message_id").GetGuid(), body.GetProperty("reply_id").GetGuid(),
                        body.GetProperty("run_id").GetGuid(), $"You said: {content}", DateTime.UtcNow);
                    _sent[(s, k)] = sent;
                    _byRun[sent.RunId] = sent;
                }
            }

            try
            {
                await watch.FinalAsync(sent.ReplyId).WaitAsync(_options.Patience, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the answer to session {s} message {k} (reply {sent.ReplyId}, run {sent.RunId}, sent to gateway-{gateway}) "
                    + $"was not final on {watch.Gateway}'s stream within {_options.Patience}; run states {Show(await RunStatesAsync(cancellationToken))}.\n{watch.Describe()}");
            }
        }
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {_options.Patience.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task<long> PendingAsync(CancellationToken cancellationToken)
    {
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM outbox WHERE status = 0", db);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<Dictionary<string, int>> RunStatesAsync(CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT state, count(*) FROM runs WHERE tenant_id = @tenant GROUP BY state", db);
        command.Parameters.AddWithValue("tenant", _options.Tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = reader.GetInt16(0) switch
            {
                0 => "accepted",
                1 => "running",
                2 => "waiting",
                3 => "succeeded",
                4 => "failed",
                var other => other.ToString(CultureInfo.InvariantCulture),
            };
            states[state] = (int)reader.GetInt64(1);
        }

        return states;
    }

    // True when every soma serve process answers /v1/health "normal"; fills each one's status (and what is not normal).
    private async Task<bool> HealthAsync(Dictionary<string, string> health, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(_nodes.Values.Select(async node =>
        {
            var name = node.Name;
            try
            {
                var body = await node.Admin!.GetFromJsonAsync<JsonElement>("/v1/health", cancellationToken);
                var status = body.GetProperty("status").GetString() ?? "?";
                var policy = body.GetProperty("components").EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == "policy");
                _policyVersions[name] = policy.ValueKind == JsonValueKind.Object && policy.GetProperty("details").TryGetProperty("version", out var version)
                    ? version.GetString() ?? "?"
                    : "(no policy component)";
                var off = body.GetProperty("components").EnumerateArray()
                    .Where(c => c.GetProperty("status").GetString() != "normal")
                    .Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("status").GetString()} {c.GetProperty("details").GetRawText()}");
                return (name, status, text: string.Join("; ", off.Prepend(status)));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                return (name, status: "unreachable", text: $"unreachable: {ex.Message}");
            }
        }));
        foreach (var (name, _, text) in answers)
        {
            health[name] = text;
        }

        return answers.Length == ServeProcesses && answers.All(a => a.status == "normal");
    }

    private void Keep(string what, SomaProcess process)
    {
        lock (_gate)
        {
            _pastLogs.Append(CultureInfo.InvariantCulture, $"===== {what} (until {_clock.Elapsed.TotalSeconds:0.0} s) stdout:\n{process.Stdout}\n===== stderr:\n{process.Stderr}\n");
        }
    }

    private string Diagnostics()
    {
        static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
        var text = new StringBuilder();
        foreach (var (name, node) in _nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"----- {name} stderr (tail):\n{Tail(node.Process?.Stderr ?? "")}\n");
        }

        return text.ToString();
    }

    private static string Show(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "(none)" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    /// <summary>A soma serve process: how it is started (again, after a kill) and the one running now.</summary>
    private sealed class Node(string name, string url, string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        public string Name { get; } = name;

        public string Url { get; } = url;

        public string[] Arguments { get; } = arguments;

        public IReadOnlyDictionary<string, string> Environment { get; } = environment;

        public SomaProcess? Process { get; set; }

        /// <summary>An admin client of this process (for /v1/health).</summary>
        public HttpClient? Admin { get; set; }
    }

    private sealed record Sent(Guid Session, int SessionIndex, int Index, int Gateway, Guid MessageId, Guid ReplyId, Guid RunId, string Expected, DateTime At);
}
