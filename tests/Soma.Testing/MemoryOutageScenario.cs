using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Soma.Testing;

/// <summary>
/// The memory outage, end to end, with real processes started from the built <c>soma</c>: the memory service
/// (<c>soma serve --roles memory</c>, SQLite), the loopback model (<c>soma dev model-server</c>, which answers
/// "What is a+b?" with one <c>math.evaluate</c> call) and the gateway+worker+sync process pointed at both. The memory
/// service is stopped; the messages are sent over the sessions while the gateway process is <c>kill -9</c>ed and
/// restarted (a POST cut by the crash is sent again with its Idempotency-Key); once every turn has ended the memory
/// service comes back, the gateway is killed once more during the drain, and the scenario waits for the outbox to
/// empty. It then stops everything and reads both stores, reporting what the memory service holds against what the
/// accepted messages must have written. It asserts nothing itself; a test or a benchmark judges the report.
/// </summary>
public sealed partial class MemoryOutageScenario : IAsyncDisposable
{
    private readonly MemoryOutageOptions _options;
    private readonly TempDirectory _memoryDir = new("soma-outage-memory");
    private readonly TempDirectory _gatewayDir = new("soma-outage-gateway");
    private readonly int _modelPort = FreePort.Next();
    private readonly int _memoryPort = FreePort.Next();
    private readonly int _gatewayPort = FreePort.Next();
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<int, Sent> _sent = new();
    private readonly List<int> _modes = [];
    private readonly System.Text.StringBuilder _pastLogs = new();
    private readonly List<string> _failedStarts = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private SomaProcess? _model;
    private SomaProcess? _memory;
    private SomaProcess? _gateway;
    private HttpClient? _user;
    private HttpClient? _admin;
    private Dictionary<string, string> _gatewayEnvironment = [];
    private long _maxPending;
    private long _lastPending;
    private volatile int _lastMode = -1;
    private int _refused;
    private int _refusedBelowCap;
    private int _retried;
    private int _replayed;
    private int _accepted;

    private MemoryOutageScenario(MemoryOutageOptions options) => _options = options;

    private string MemoryUrl => $"http://127.0.0.1:{_memoryPort}";

    private string GatewayUrl => $"http://127.0.0.1:{_gatewayPort}";

    private string[] MemoryServe => ["serve", "--roles", "memory", "--data", _memoryDir.Path, "--urls", MemoryUrl];

    private string[] GatewayServe => ["serve", "--roles", "gateway,worker,relay,sync", "--data", _gatewayDir.Path, "--urls", GatewayUrl];

    /// <summary>Runs the scenario; every process it started is stopped when it returns or throws.</summary>
    public static async Task<MemoryOutageReport> RunAsync(MemoryOutageOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Messages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Sessions, 1);
        await using var scenario = new MemoryOutageScenario(options);
        return await scenario.RunCoreAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        WriteLogs();
        _user?.Dispose();
        _admin?.Dispose();
        foreach (var process in new[] { _gateway, _memory, _model })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        _gatewayDir.Dispose();
        _memoryDir.Dispose();
    }

    private void Log(string line) => _options.Log?.Invoke($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {line}");

    private async Task<MemoryOutageReport> RunCoreAsync(CancellationToken cancellationToken)
    {
        var random = new Random(_options.Seed);
        _model = SomaProcess.Start(["dev", "model-server", "--port", _modelPort.ToString(CultureInfo.InvariantCulture), "--chunk-delay-ms", "0"]);
        await _model.WaitForOutputAsync("listening on", _options.Patience);
        _memory = SomaProcess.Start(MemoryServe);
        await _memory.WaitForOutputAsync("listening on", _options.Patience);
        var memoryToken = await TokenAsync(_memoryDir.Path, "default", "sync", "memory");

        _gatewayEnvironment = new Dictionary<string, string>
        {
            ["SOMA__MEMORY__CLIENT__BASEURL"] = MemoryUrl,
            ["SOMA__MEMORY__CLIENT__APIKEY"] = memoryToken,
            ["SOMA__MEMORY__OUTBOXCAPPERTENANT"] = _options.Cap.ToString(CultureInfo.InvariantCulture),
            ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = $"http://127.0.0.1:{_modelPort}/v1/",
            ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",

            // A killed process's runs are taken over soon after the restart.
            ["SOMA__ORCHESTRATION__LEASESECONDS"] = "2",
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",

            // Every message is admitted by the turn and rate limits: only the memory cap may refuse one.
            ["SOMA__GATEWAY__MAXCONCURRENTTURNS"] = "1000000",
            ["SOMA__GATEWAY__REQUESTSPERSECOND"] = "1000000",
            ["SOMA__GATEWAY__REQUESTBURST"] = "1000000",
        };
        _gateway = SomaProcess.Start(GatewayServe, _gatewayEnvironment);
        await _gateway.WaitForOutputAsync("listening on", _options.Patience);
        _user = Client(await TokenAsync(_gatewayDir.Path, _options.Tenant, "outage-tester", null));
        _admin = Client(await TokenAsync(_gatewayDir.Path, _options.Tenant, "outage-admin", "admin"));

        var sessions = new List<Guid>();
        for (var i = 0; i < _options.Sessions; i++)
        {
            var created = await _user.PostAsJsonAsync("/v1/sessions", new { title = $"outage {i}" }, cancellationToken);
            created.EnsureSuccessStatusCode();
            sessions.Add((await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetGuid());
        }

        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = SampleAsync(sampling.Token);
        try
        {
            await WaitUntilAsync(() => Task.FromResult(_lastMode == 0), "the gateway to see the memory service (soma_memory_mode 0)", cancellationToken);

            // The outage: SIGTERM, then make sure nothing answers on the port any more.
            Log("stopping the memory service");
            await _memory.TerminateAsync(_options.Patience);
            await _memory.DisposeAsync();
            Keep("stopped memory service", _memory);
            _memory = null;
            if (await AcceptsConnectionsAsync(_memoryPort))
            {
                throw new InvalidOperationException($"The memory service still answers on port {_memoryPort} after SIGTERM.");
            }

            await WaitUntilAsync(() => Task.FromResult(_lastMode == 2), "the gateway to see the memory service down (soma_memory_mode 2)", cancellationToken);

            // N messages over the sessions, one sender per session; the gateway dies twice under them.
            var kills = new List<string>();
            var killPoints = Enumerable.Range(0, _options.KillsDuringOutage)
                .Select(k => (int)((k + 0.2 + (0.6 * random.NextDouble())) * _options.Messages / (_options.KillsDuringOutage + 1)))
                .ToList();
            Log($"sending {_options.Messages} messages over {_options.Sessions} sessions; kill -9 after {string.Join(", ", killPoints)} accepted");
            var senders = sessions.Select((session, s) => SendAllAsync(session, s, cancellationToken)).ToList();
            foreach (var point in killPoints)
            {
                await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref _accepted) >= point), $"{point} accepted messages", cancellationToken);
                var ended = await EndedRunsAsync(cancellationToken);
                var accepted = Volatile.Read(ref _accepted);
                await RestartGatewayAsync(cancellationToken);
                kills.Add($"outage: {accepted} accepted, {ended} turns ended");
                Log($"kill -9 during the outage: {accepted} accepted, {ended} turns ended");
            }

            await Task.WhenAll(senders);
            Log($"all {_options.Messages} messages accepted; waiting for the turns");
            await WaitUntilAsync(async () => await EndedRunsAsync(cancellationToken) >= _options.Messages, "every turn to end", cancellationToken);
            var pendingAtOutageEnd = await PendingAsync(cancellationToken) ?? -1;
            var outboxAtOutageEnd = await OutboxPendingAsync(cancellationToken);
            Log($"every turn ended; the outbox holds {outboxAtOutageEnd} memory writes, the status endpoint says {pendingAtOutageEnd} pending");

            // Recovery: the memory service comes back; the gateway dies during the drain.
            _memory = SomaProcess.Start(MemoryServe);
            await _memory.WaitForOutputAsync("listening on", _options.Patience);
            var drain = Stopwatch.StartNew();
            for (var k = 0; k < _options.KillsDuringDrain; k++)
            {
                var threshold = (long)(pendingAtOutageEnd * (0.3 + (0.6 * random.NextDouble())));
                await WaitUntilAsync(async () => await PendingAsync(cancellationToken) is { } p && p <= threshold, $"the drain to reach {threshold} pending", cancellationToken, poll: TimeSpan.FromMilliseconds(10));
                var pending = _lastPending;
                await RestartGatewayAsync(cancellationToken);
                kills.Add($"drain: {pending} pending");
                Log($"kill -9 during the drain: {pending} pending");
            }

            // Drained by the status endpoint's count and by the gateway's outbox itself: the count is the last read of the
            // store adjusted by the deliveries since, and may be a batch off for a second while a read crosses them.
            await WaitUntilAsync(async () => await PendingAsync(cancellationToken) == 0 && await OutboxPendingAsync(cancellationToken) == 0, "the outbox to drain", cancellationToken);
            var timeToDrain = drain.Elapsed;
            Log($"drained in {timeToDrain.TotalSeconds:0.0} s");
            await WaitUntilAsync(() => Task.FromResult(_lastMode == 0), "soma_memory_mode 0 after the drain", cancellationToken);
            var finalPending = await PendingAsync(cancellationToken) ?? -1;
            var runStates = await RunStatesAsync(cancellationToken);

            await sampling.CancelAsync();
            await sampler;
            await _gateway.TerminateAsync(_options.Patience);
            await _memory.TerminateAsync(_options.Patience);
            return await ReportAsync(kills, runStates, outboxAtOutageEnd, pendingAtOutageEnd, finalPending, timeToDrain, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{ex.Message}\n{Diagnostics()}", ex);
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
        }
    }

    private void Keep(string what, SomaProcess process)
    {
        lock (_gate)
        {
            _pastLogs.Append(CultureInfo.InvariantCulture, $"===== {what} (until {_clock.Elapsed.TotalSeconds:0.0} s) stdout:\n{process.Stdout}\n===== stderr:\n{process.Stderr}\n");
        }
    }

    private void WriteLogs()
    {
        if (_options.LogDirectory is not { } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "past.log"), _pastLogs.ToString());
        File.WriteAllText(Path.Combine(directory, "gateway.log"), $"{_gateway?.Stdout}\n===== stderr:\n{_gateway?.Stderr}");
        File.WriteAllText(Path.Combine(directory, "memory.log"), $"{_memory?.Stdout}\n===== stderr:\n{_memory?.Stderr}");
    }

    private string Diagnostics()
    {
        static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;
        return $"gateway stdout:\n{Tail(_gateway?.Stdout ?? "")}\ngateway stderr:\n{Tail(_gateway?.Stderr ?? "")}\nmemory stderr:\n{Tail(_memory?.Stderr ?? "")}";
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(GatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> TokenAsync(string dataDir, string tenant, string subject, string? roles)
    {
        List<string> args = ["token", "issue", "--tenant", tenant, "--sub", subject, "--ttl", "1d", "--data", dataDir];
        if (roles is not null)
        {
            args.AddRange(["--roles", roles]);
        }

        var (code, stdout, stderr) = await SomaProcess.RunAsync(args);
        return code == 0 ? stdout.Trim() : throw new InvalidOperationException($"soma token issue failed ({code}): {stderr}");
    }

    private async Task RestartGatewayAsync(CancellationToken cancellationToken)
    {
        var gateway = _gateway!;
        await gateway.KillHardAsync();
        await gateway.DisposeAsync();
        Keep("killed gateway", gateway);
        for (var start = 1; ; start++)
        {
            _gateway = SomaProcess.Start(GatewayServe, _gatewayEnvironment);
            try
            {
                await _gateway.WaitForOutputAsync("listening on", _options.Patience);
                break;
            }
            catch (InvalidOperationException) when (_gateway.HasExited && start < 3)
            {
                // Seen once in many runs: the restarted host stopped while binding (TaskCanceledException in Kestrel's
                // BindAsync after "Application is shutting down..."). Recorded in the report; the process is started again.
                _failedStarts.Add($"exit {_gateway.ExitCode}: {_gateway.Stdout}{_gateway.Stderr}");
                Keep("gateway that failed to start", _gateway);
                await _gateway.DisposeAsync();
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    // One sender per session: its messages go in order, each POST retried with its key until it is answered 202.
    private async Task SendAllAsync(Guid session, int sessionIndex, CancellationToken cancellationToken)
    {
        for (var i = sessionIndex; i < _options.Messages; i += _options.Sessions)
        {
            var key = $"outage-{i}";
            var content = string.Create(CultureInfo.InvariantCulture, $"What is {i}+{i % 7 + 1}?");
            var deadline = DateTime.UtcNow + _options.Patience;
            var attempt = 0;
            while (true)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"message {i} ({key}) was not accepted within {_options.Patience}.");
                }

                if (attempt++ > 0)
                {
                    Interlocked.Increment(ref _retried);
                    await Task.Delay(100, cancellationToken);
                }

                using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{session}/messages") { Content = JsonContent.Create(new { content }) };
                request.Headers.Add("Idempotency-Key", key);
                HttpResponseMessage response;
                try
                {
                    response = await _user!.SendAsync(request, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                using (response)
                {
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Interlocked.Increment(ref _refused);
                        if (Interlocked.Read(ref _lastPending) < _options.Cap)
                        {
                            Interlocked.Increment(ref _refusedBelowCap);
                        }

                        Log($"503 for message {i}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                        await Task.Delay(1000, cancellationToken);
                        continue;
                    }

                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        continue;
                    }

                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        throw new InvalidOperationException($"message {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    }

                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                    var sent = new Sent(session, body.GetProperty("message_id").GetGuid(), body.GetProperty("reply_id").GetGuid(), body.GetProperty("run_id").GetGuid());
                    if (attempt > 1)
                    {
                        Interlocked.Increment(ref _replayed);
                    }

                    if (_sent.TryAdd(i, sent))
                    {
                        Interlocked.Increment(ref _accepted);
                    }

                    break;
                }
            }
        }
    }

    // Samples pending writes and the memory mode every 100 ms; a dead gateway just yields no sample.
    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PendingAsync(cancellationToken);
                var metrics = await _admin!.GetStringAsync("/metrics", cancellationToken);
                if (ModeLine().Match(metrics) is { Success: true } match)
                {
                    var mode = (int)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
                    lock (_gate)
                    {
                        if (_modes.Count == 0 || _modes[^1] != mode)
                        {
                            _modes.Add(mode);
                            Log($"soma_memory_mode {mode}");
                        }
                    }

                    _lastMode = mode;
                }

                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    // The tenant's pending memory writes from GET /v1/memory/status, or null when the gateway does not answer.
    private async Task<long?> PendingAsync(CancellationToken cancellationToken)
    {
        try
        {
            var status = await _admin!.GetFromJsonAsync<JsonElement>("/v1/memory/status", cancellationToken);
            var pending = status.GetProperty("tenants").EnumerateArray()
                .Where(t => t.GetProperty("tenant").GetString() == _options.Tenant)
                .Select(t => t.GetProperty("pending").GetInt64()).FirstOrDefault();
            Interlocked.Exchange(ref _lastPending, pending);
            lock (_gate)
            {
                _maxPending = Math.Max(_maxPending, pending);
            }

            return pending;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    // Memory writes still pending in the gateway's outbox, read from its database (WAL: a reader beside the server).
    private async Task<long> OutboxPendingAsync(CancellationToken cancellationToken)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(_gatewayDir.Path, "soma.db")};Mode=ReadOnly;Pooling=false");
        await db.OpenAsync(cancellationToken);
        long pending = 0;
        await ReadAsync(db, _options.Tenant, "SELECT COUNT(*) FROM outbox WHERE tenant_id = $tenant AND topic IN ('memory.remember', 'memory.link') AND status = 0",
            r => pending = r.GetInt64(0), cancellationToken);
        return pending;
    }

    private async Task<int> EndedRunsAsync(CancellationToken cancellationToken)
    {
        var states = await RunStatesAsync(cancellationToken);
        return states.Where(s => s.Key is "succeeded" or "failed" or "canceled" or "cancelled").Sum(s => s.Value);
    }

    private async Task<Dictionary<string, int>> RunStatesAsync(CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        string? cursor = null;
        try
        {
            do
            {
                var page = await _user!.GetFromJsonAsync<JsonElement>(
                    "/v1/runs?limit=500" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), cancellationToken);
                foreach (var run in page.GetProperty("items").EnumerateArray())
                {
                    var state = run.GetProperty("state").GetString() ?? "?";
                    states[state] = states.GetValueOrDefault(state) + 1;
                }

                cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            }
            while (cursor is not null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return [];
        }

        return states;
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + _options.Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {_options.Patience.TotalSeconds:0} s for {what} (pending {_lastPending}, mode {_lastMode}, accepted {_accepted}).");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task<MemoryOutageReport> ReportAsync(
        List<string> kills, Dictionary<string, int> runStates, long outboxAtOutageEnd, long pendingAtOutageEnd, long finalPending, TimeSpan timeToDrain, CancellationToken cancellationToken)
    {
        var tenant = _options.Tenant;
        var memories = new List<string>();
        var links = new List<(string From, string To, string Rel)>();
        var duplicates = new List<string>();
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(_memoryDir.Path, "soma.db")};Mode=ReadOnly;Pooling=false"))
        {
            await db.OpenAsync(cancellationToken);
            await ReadAsync(db, tenant, "SELECT key FROM memories WHERE tenant_id = $tenant AND namespace = 'agent'", r => memories.Add(r.GetString(0)), cancellationToken);
            await ReadAsync(db, tenant, "SELECT tenant_id || ' ' || namespace || ' ' || key || ' x' || COUNT(*) FROM memories GROUP BY tenant_id, namespace, key HAVING COUNT(*) > 1",
                r => duplicates.Add(r.GetString(0)), cancellationToken);
            await ReadAsync(db, tenant, "SELECT from_key, to_key, rel FROM memory_links WHERE tenant_id = $tenant", r => links.Add((r.GetString(0), r.GetString(1), r.GetString(2))), cancellationToken);
        }

        var gatewayOutbox = new Dictionary<string, int>(StringComparer.Ordinal);
        var refusals = new List<string>();
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(_gatewayDir.Path, "soma.db")};Mode=ReadOnly;Pooling=false"))
        {
            await db.OpenAsync(cancellationToken);
            await ReadAsync(db, tenant, "SELECT status, COUNT(*) FROM outbox WHERE tenant_id = $tenant AND topic IN ('memory.remember', 'memory.link') GROUP BY status",
                r => gatewayOutbox[r.GetInt32(0) switch { 0 => "pending", 1 => "sent", 2 => "dead_lettered", var s => s.ToString(CultureInfo.InvariantCulture) }] = r.GetInt32(1),
                cancellationToken);

            // A refusal (4xx) leaves its error on the row even once it is sent: e.g. a link that reached the service
            // before the memory it starts from.
            await ReadAsync(db, tenant, "SELECT dedupe_key || ': ' || last_error FROM outbox WHERE tenant_id = $tenant AND topic IN ('memory.remember', 'memory.link') AND last_error LIKE '%HTTP 4%' ORDER BY created_at",
                r => refusals.Add(r.GetString(0)), cancellationToken);
            await ReadAsync(db, tenant, "SELECT last_error, COUNT(*) FROM outbox WHERE tenant_id = $tenant AND topic IN ('memory.remember', 'memory.link') AND last_error IS NOT NULL GROUP BY last_error",
                r => errors[r.GetString(0)] = r.GetInt32(1), cancellationToken);
        }

        duplicates.AddRange(memories.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}"));
        var held = memories.ToHashSet(StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var expectedLinks = new List<(string From, string To, string Rel)>();
        foreach (var (index, sent) in _sent.OrderBy(p => p.Key))
        {
            var user = $"{tenant}/{sent.Session}/{sent.Message}/user";
            var assistant = $"{tenant}/{sent.Session}/{sent.Reply}/assistant";
            var toolPrefix = $"{tenant}/{sent.Session}/{sent.Reply}/tool/";
            var tools = memories.Where(k => k.StartsWith(toolPrefix, StringComparison.Ordinal)).ToList();
            expected.Add(user);
            expected.Add(assistant);
            if (tools.Count == 0)
            {
                missing.Add($"{toolPrefix}* (message {index})");
            }
            else
            {
                // One tool output per turn: the first is expected, any other is reported as unexpected.
                expected.Add(tools.Order(StringComparer.Ordinal).First());
            }

            missing.AddRange(new[] { user, assistant }.Where(k => !held.Contains(k)).Select(k => $"{k} (message {index})"));
            expectedLinks.Add((assistant, user, "answers"));
            expectedLinks.Add((user, assistant, "answered_by"));
            expectedLinks.AddRange(tools.Select(t => (t, assistant, "used_by")));
        }

        var linkSet = links.ToHashSet();
        static string Show((string From, string To, string Rel) l) => $"{l.From} -{l.Rel}-> {l.To}";
        return new MemoryOutageReport
        {
            Messages = _options.Messages,
            Cap = _options.Cap,
            Accepted = _sent.Count,
            Refused = _refused,
            RefusedBelowCap = _refusedBelowCap,
            Retried = _retried,
            Replayed = _replayed,
            Kills = kills,
            RunStates = runStates,
            MaxPending = _maxPending,
            OutboxAtOutageEnd = outboxAtOutageEnd,
            PendingAtOutageEnd = pendingAtOutageEnd,
            TimeToDrain = timeToDrain,
            Duration = _clock.Elapsed,
            ModeChanges = [.. _modes],
            FinalMode = _lastMode,
            FinalPending = finalPending,
            GatewayOutbox = gatewayOutbox,
            Memories = memories.GroupBy(Role).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Links = links.GroupBy(l => l.Rel).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            MissingKeys = missing,
            DuplicateKeys = duplicates,
            UnexpectedKeys = [.. memories.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal)],
            MissingLinks = [.. expectedLinks.Where(l => !linkSet.Contains(l)).Select(Show)],
            Refusals = refusals,
            FailedStarts = [.. _failedStarts],
            DeliveryErrors = errors,
            DanglingLinks = [.. links.Where(l => !held.Contains(l.From) || !held.Contains(l.To)).Select(Show)],
        };
    }

    private static string Role(string key) =>
        key.EndsWith("/user", StringComparison.Ordinal) ? "user"
        : key.EndsWith("/assistant", StringComparison.Ordinal) ? "assistant"
        : key.Contains("/tool/", StringComparison.Ordinal) ? "tool"
        : "other";

    private static async Task ReadAsync(SqliteConnection db, string tenant, string sql, Action<SqliteDataReader> row, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            row(reader);
        }
    }

    [GeneratedRegex(@"^soma_memory_mode(?:\{[^}]*\})?\s+(?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex ModeLine();

    private sealed record Sent(Guid Session, Guid Message, Guid Reply, Guid Run);
}
