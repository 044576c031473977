using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Server.Tests.Deployment.RehearsalManifests;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The install, rehearsed from the chart's own manifests: <c>helm template</c> renders deploy/helm/soma with values that
/// point at a real PostgreSQL (a fresh database), a real nats-server with JetStream and the loopback dev model, and a new
/// HS256 key; then the <c>pre-install</c> hook Job's container runs to completion, every Deployment's container starts
/// (one process each) and answers its readiness probe, and a user's first chat turn goes through the gateway's Service
/// and is answered. Every process runs as the manifest says (<see cref="RehearsalWorkload"/>); the rehearsal records
/// how long each step took, from the first process start.
/// </summary>
internal sealed class RehearsalScenario : IAsyncDisposable
{
    public const string Release = "soma";
    public const string Namespace = "soma-rehearsal";
    private static readonly TimeSpan HookTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan TurnTimeout = TimeSpan.FromMinutes(2);

    private readonly string _mode;
    private readonly Action<string> _log;
    private readonly TempDirectory _root = new("soma-rehearsal");
    private readonly List<RehearsalProcess> _processes = [];
    private readonly List<RehearsalStep> _steps = [];
    private PostgresServer? _postgres;
    private NatsServer? _nats;
    private DevModelServer? _model;

    private RehearsalScenario(string mode, Action<string> log)
    {
        _mode = mode;
        _log = log;
    }

    /// <summary>Runs the rehearsal in <paramref name="mode"/> (the chart's <c>mode</c> value); everything it started is stopped when it returns.</summary>
    /// <exception cref="InvalidOperationException">A step failed: the message names it and holds every process's last output lines.</exception>
    public static async Task<RehearsalResult> RunAsync(string mode, Action<string> log, CancellationToken cancellationToken = default)
    {
        await using var rehearsal = new RehearsalScenario(mode, log);
        try
        {
            return await rehearsal.RunCoreAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"install rehearsal (mode={mode}) failed: {ex.Message}\n\n{rehearsal.Tails()}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
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

    private string Tails() => string.Join("\n\n", _processes.Select(p => p.Tail()));

    private async Task<RehearsalResult> RunCoreAsync(CancellationToken cancellationToken)
    {
        // The engines and the model an operator would point the values at.
        var postgres = PostgresServer.StartAsync(cancellationToken);
        var model = DevModelServer.StartAsync(new DevModelServerOptions(), cancellationToken);
        _nats = await NatsServer.StartNewAsync(cancellationToken: cancellationToken);
        _postgres = await postgres;
        _model = await model;
        var connectionString = await _postgres.CreateDatabaseAsync(cancellationToken);
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var keyFile = Path.Combine(_root.Path, "operator", "hs256.key");
        Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
        await File.WriteAllTextAsync(keyFile, signingKey, cancellationToken);


        var values = Path.Combine(_root.Path, "values.json");
        await File.WriteAllTextAsync(values, new JsonObject
        {
            ["mode"] = _mode,
            ["store"] = new JsonObject { ["postgres"] = new JsonObject { ["connectionString"] = connectionString } },
            ["bus"] = new JsonObject { ["nats"] = new JsonObject { ["url"] = _nats.Url } },
            ["model"] = new JsonObject { ["baseUrl"] = _model.BaseAddress.ToString(), ["name"] = "soma-dev" },
            ["auth"] = new JsonObject { ["signingKey"] = new JsonObject { ["hs256"] = signingKey } },
        }.ToJsonString(), cancellationToken);
        var manifests = await RenderAsync(Release, values, Namespace, cancellationToken);
        _log($"helm template: {string.Join(", ", manifests.Objects.GroupBy(o => o.Kind).Select(g => $"{g.Count()} {g.Key}"))}");

        var image = RehearsalImage.Read();
        var hooks = manifests.OfKind("Job").Where(IsPreInstallHook).OrderBy(HookWeight).ThenBy(j => j.Name, StringComparer.Ordinal).ToList();
        Assert.True(hooks.Count > 0, $"the chart renders no Job with the helm.sh/hook annotation pre-install (Jobs: {string.Join(", ", manifests.OfKind("Job"))}).");
        var deployments = manifests.OfKind("Deployment").Select(d => RehearsalWorkload.Prepare(manifests, d, image, _root.Path)).ToList();
        Assert.True(deployments.Count > 0, "the chart renders no Deployment.");
        var localPorts = deployments.ToDictionary(d => d, _ => FreePort.Next());
        var services = new RehearsalServices(manifests, deployments, localPorts);
        var gateway = services.Running("gateway").FirstOrDefault();
        Assert.True(gateway.Service is not null, $"no Service leads to a Deployment running the gateway role ({string.Join(", ", deployments.Select(d => $"{d.Owner}: {string.Join(',', d.Roles)}"))}).");

        // 1. The hook Job(s), in weight order, each to a zero exit: the clock starts with the first process.
        var clock = Stopwatch.StartNew();
        foreach (var hook in hooks)
        {
            var job = RehearsalWorkload.Prepare(manifests, hook, image, _root.Path);
            var started = clock.Elapsed;
            var process = Launch(job, services, localPort: null);
            var exit = await process.WaitForExitAsync(HookTimeout, cancellationToken);
            Assert.True(exit == 0, $"{job.Describe} ({string.Join(' ', job.Args)}) exited with {exit}.");
            Step($"{hook} ({string.Join(' ', job.Args)})", started, clock.Elapsed);
            AssertRootUntouched(job);
        }

        // 2. Every Deployment, one process each, on its own loopback port; each is ready when its probe answers 200.
        var starts = new Dictionary<RehearsalWorkload, (RehearsalProcess Process, TimeSpan Started)>();
        foreach (var deployment in deployments)
        {
            starts[deployment] = (Launch(deployment, services, localPorts[deployment]), clock.Elapsed);
        }

        await Task.WhenAll(deployments.Select(async d =>
        {
            var (process, started) = starts[d];
            var path = await WaitReadyAsync(d, process, localPorts[d], cancellationToken);
            Step($"{d.Owner} ready ({path} 200)", started, clock.Elapsed);
        }));

        // 3. A user's first turn, through the gateway's Service, signed with the key given to the chart.
        var turnStarted = clock.Elapsed;
        var token = await UserTokenAsync(gateway.Target, services, keyFile, cancellationToken);
        var (session, answer) = await FirstTurnAsync(services.LocalUrl(gateway.Service), token, cancellationToken);
        var answered = clock.Elapsed;
        Step($"first chat turn answered via {gateway.Service}", turnStarted, answered);

        // 4. What the turn remembered reached the memory service (in roles mode the soma-memory Deployment, with the
        // token the relay signs itself: the chart is given no service token).
        var remembered = await MemoryWritesSentAsync(services.LocalUrl(gateway.Service), token, session, cancellationToken);
        Step($"{remembered} memory writes of the turn sent to the memory service", answered, clock.Elapsed);
        foreach (var deployment in deployments)
        {
            Assert.False(starts[deployment].Process.HasExited, $"{deployment.Owner} exited with {(starts[deployment].Process.HasExited ? starts[deployment].Process.ExitCode : 0)} during the rehearsal.");
            await AssertOtherProbesAnswerAsync(deployment, localPorts[deployment], cancellationToken);
            AssertRootUntouched(deployment);
        }

        return new RehearsalResult(_mode, _steps, answered, answer, [.. deployments.Select(d => $"{d.Owner} ({string.Join(',', d.Roles)})")]);
    }

    private void Step(string name, TimeSpan started, TimeSpan ended)
    {
        lock (_steps)
        {
            _steps.Add(new RehearsalStep(name, ended - started, ended));
        }

        _log($"[{ended.TotalSeconds,6:0.0}s] {name} after {(ended - started).TotalSeconds:0.0} s");
    }

    private RehearsalProcess Launch(RehearsalWorkload workload, RehearsalServices services, int? localPort)
    {
        string Map(string value) => services.Rewrite(workload.MapPaths(value), workload.Describe);
        var environment = workload.Environment.Select(e => KeyValuePair.Create(e.Key, Map(e.Value))).ToList();
        if (localPort is { } port)
        {
            environment.RemoveAll(e => e.Key == "ASPNETCORE_HTTP_PORTS");
            environment.Add(KeyValuePair.Create("ASPNETCORE_HTTP_PORTS", port.ToString(CultureInfo.InvariantCulture)));
        }

        // /tmp is the container's: a volume mounted there, else its root filesystem's.
        if (environment.All(e => e.Key != "TMPDIR"))
        {
            var tmp = workload.MapPaths("/tmp");
            tmp = tmp == "/tmp" ? Path.Combine(workload.RootFilesystem, "tmp") : tmp;
            Directory.CreateDirectory(tmp);
            environment.Add(KeyValuePair.Create("TMPDIR", tmp));
        }

        var process = RehearsalProcess.Start(workload.Owner.ToString(), workload.Args.Select(Map), environment, workload.WorkingDirectory);
        _processes.Add(process);
        return process;
    }

    // A read-only root filesystem in the cluster: whatever the process wrote outside its volumes would have failed there.
    private static void AssertRootUntouched(RehearsalWorkload workload)
    {
        if (!workload.ReadOnlyRootFilesystem)
        {
            return;
        }

        var written = Directory.EnumerateFiles(workload.RootFilesystem, "*", SearchOption.AllDirectories)
            .Select(f => "/" + Path.GetRelativePath(workload.RootFilesystem, f)).ToList();
        Assert.True(written.Count == 0,
            $"{workload.Describe} wrote {string.Join(", ", written.Take(5))} outside its volumes; its root filesystem is read-only (readOnlyRootFilesystem), so in a cluster that write fails.");
    }

    private static async Task<string> WaitReadyAsync(RehearsalWorkload workload, RehearsalProcess process, int localPort, CancellationToken cancellationToken)
    {
        var path = ProbePath(workload, "readinessProbe")
            ?? throw new InvalidOperationException($"{workload.Describe} has no readinessProbe: nothing tells Kubernetes when it can take traffic.");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var url = $"http://127.0.0.1:{localPort}{path}";
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var last = "no answer";
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{workload.Describe} exited with {process.ExitCode} before its readiness probe {path} answered 200.");
            }

            try
            {
                using var response = await client.GetAsync(url, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return path;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{workload.Describe}'s readiness probe {path} did not answer 200 on ASPNETCORE_HTTP_PORTS={localPort} within {ReadyTimeout.TotalSeconds:0} s (last: {last}).");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    // The probe's httpGet path, once its port is checked to be the one the container listens on; null without the probe.
    private static string? ProbePath(RehearsalWorkload workload, string name)
    {
        if (workload.Probe(name) is not { } probe)
        {
            return null;
        }

        var get = probe["httpGet"] as JsonObject
            ?? throw new InvalidOperationException($"{workload.Describe}'s {name} is {string.Join(',', probe.Select(p => p.Key))}; the rehearsal runs httpGet probes.");
        var port = workload.ResolvePort(Text(get["port"]), $"{workload.Describe} {name}");
        Assert.True(port == workload.HttpPort, $"{workload.Describe}'s {name} asks port {port}, but it listens on {workload.HttpPort} (ASPNETCORE_HTTP_PORTS).");
        return Text(get["path"]) ?? "/";
    }

    // A running, ready process answers its liveness and startup probes too: a wrong path there would restart pods.
    private static async Task AssertOtherProbesAnswerAsync(RehearsalWorkload workload, int localPort, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var name in (string[])["livenessProbe", "startupProbe"])
        {
            if (ProbePath(workload, name) is { } path)
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{localPort}{path}", cancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{workload.Describe}'s {name} {path} answered {(int)response.StatusCode} while it serves.");
            }
        }
    }

    // 'soma token issue' with the gateway container's environment, but signing with the key file holding the key given to
    // the chart instead of the gateway's key ring: if that key did not reach the gateway, the gateway refuses the token.
    private Task<string> UserTokenAsync(RehearsalWorkload gateway, RehearsalServices services, string keyFile, CancellationToken cancellationToken) =>
        IssueTokenAsync(gateway.Environment
            .Select(e => KeyValuePair.Create(e.Key, services.Rewrite(gateway.MapPaths(e.Value), gateway.Describe)))
            .Where(e => e.Key != "SOMA__AUTH__HS256KEYPATH" && !e.Key.StartsWith("SOMA__AUTH__KEYS__", StringComparison.Ordinal))
            .Append(KeyValuePair.Create("SOMA__AUTH__HS256KEYPATH", keyFile)), ["--tenant", "rehearsal", "--sub", "rehearsal-user"], cancellationToken);

    private async Task<string> IssueTokenAsync(IEnumerable<KeyValuePair<string, string>> environment, string[] claims, CancellationToken cancellationToken)
    {
        var issue = RehearsalProcess.Start("soma token issue", ["token", "issue", .. claims, "--ttl", "1h"], environment, _root.Path);
        _processes.Add(issue);
        var exit = await issue.WaitForExitAsync(TimeSpan.FromMinutes(1), cancellationToken);
        Assert.True(exit == 0, $"soma token issue {string.Join(' ', claims)} exited with {exit}.");
        return issue.Stdout.Trim();
    }

    // Waits until the session has memory writes and every one is 'sent' (GET /v1/sessions/{id}/memories); a write that
    // is dead-lettered, or still waiting after the turn timeout, fails the rehearsal with the list.
    private static async Task<int> MemoryWritesSentAsync(string gatewayUrl, string token, Guid session, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = new Uri(gatewayUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var deadline = DateTime.UtcNow + TurnTimeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await client.GetStringAsync($"/v1/sessions/{session}/memories", cancellationToken);
            var items = JsonDocument.Parse(last).RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("status").GetString()).ToList();
            Assert.DoesNotContain("dead_lettered", items);
            if (items.Count > 0 && items.All(s => s == "sent"))
            {
                return items.Count;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"the first turn's memory writes were not all sent within {TurnTimeout.TotalSeconds:0} s: {last}");
    }

    private static async Task<(Guid Session, string Answer)> FirstTurnAsync(string gatewayUrl, string token, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = new Uri(gatewayUrl), Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TurnTimeout);

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { title = "install rehearsal" }, timeout.Token);
        Assert.True(created.IsSuccessStatusCode, $"POST /v1/sessions answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(timeout.Token)}"
            + (created.StatusCode == HttpStatusCode.Unauthorized ? "\nThe token is signed with the auth.signingKey.hs256 given to the chart: the gateway does not verify with that key (see where its SOMA__AUTH__KEYS__DIRECTORY leads)." : ""));
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("id").GetGuid();

        const string Content = "hello from the install rehearsal";
        using var sent = await client.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = Content }, timeout.Token);
        Assert.True(sent.StatusCode == HttpStatusCode.Accepted, $"POST /v1/sessions/{session}/messages answered {(int)sent.StatusCode}: {await sent.Content.ReadAsStringAsync(timeout.Token)}");
        var reply = (await sent.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("reply_id").GetGuid();

        // The session's event stream replays from its start, so opening it after the POST misses nothing.
        try
        {
            using var stream = await client.GetStreamAsync($"/v1/sessions/{session}/events", timeout.Token);
            using var reader = new StreamReader(stream);
            string? type = null;
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    type = line["event:".Length..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal) && type is "conversation.assistant_final" or "conversation.error")
                {
                    var data = JsonDocument.Parse(line["data:".Length..]).RootElement.GetProperty("data");
                    if (type == "conversation.error")
                    {
                        throw new InvalidOperationException($"the first turn ended in conversation.error: {data}");
                    }

                    if (data.GetProperty("message_id").GetGuid() == reply)
                    {
                        var answer = data.GetProperty("content").GetString() ?? "";
                        Assert.Contains(Content, answer, StringComparison.Ordinal);
                        return (session, answer);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the first turn (session {session}, reply {reply}) had no conversation.assistant_final within {TurnTimeout.TotalSeconds:0} s.");
        }

        throw new InvalidOperationException($"the session's event stream ended before the answer to the first turn (reply {reply}).");
    }

    private static bool IsPreInstallHook(RehearsalObject job) =>
        (Text(job.Body["metadata"]?["annotations"]?["helm.sh/hook"]) ?? "").Split(',', StringSplitOptions.TrimEntries).Contains("pre-install");

    private static int HookWeight(RehearsalObject job) =>
        int.TryParse(Text(job.Body["metadata"]?["annotations"]?["helm.sh/hook-weight"]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var weight) ? weight : 0;
}
