using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Soma.Testing;

/// <summary>
/// A loopback stand-in for SomaBrain: a real Kestrel server on a free port speaking the memory protocol over an
/// in-memory store (dedup by key, term-overlap recall scored 0..1, links). It requires <c>Authorization: Bearer</c> with
/// <see cref="Token"/> (401 otherwise) and <c>X-Tenant-ID</c> equal to the body's tenant (403 otherwise), echoes
/// <c>X-Request-ID</c>, records every request, and reproduces SomaBrain's quirks and failures on demand: queued
/// statuses (422, 429 with Retry-After, 5xx), slow answers, slow or unhealthy <c>/health</c>, cut connections,
/// malformed bodies, a missing <c>/link</c>, and going down entirely (listener closed, then reopened on the same port).
/// It parses JSON on its own, not through the client's wire code, so the two cannot share a mistake.
/// </summary>
public sealed class SomaBrainStandIn : IAsyncDisposable
{
    private static readonly char[] Separators = [' ', '\t', '\n', '\r', ',', '.', ';', ':', '!', '?', '"', '\'', '(', ')', '[', ']', '{', '}', '-', '_', '/'];
    private readonly Lock _gate = new();
    private readonly List<RecordedMemoryRequest> _requests = [];
    private readonly List<Fault> _faults = [];
    private readonly Dictionary<(string Tenant, string Namespace, string Key), Entry> _store = [];
    private WebApplication? _app;
    private long _sequence;

    private SomaBrainStandIn(string token) => Token = token;

    /// <summary>The bearer token the stand-in accepts.</summary>
    public string Token { get; }

    /// <summary>The port it listens on (kept across <see cref="StopListeningAsync"/> and <see cref="StartListeningAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>Delay before answering any request other than <c>/health</c>.</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>Delay before answering <c>/health</c>.</summary>
    public TimeSpan HealthDelay { get; set; }

    /// <summary>What <c>/health</c> reports: <c>healthy</c>, <c>degraded</c> or <c>critical</c> (critical also sets ok and ready false).</summary>
    public string HealthStatus { get; set; } = "healthy";

    /// <summary>When true, <c>POST /link</c> answers 404 <c>{"detail":"Not Found"}</c> as SomaBrain builds without it do.</summary>
    public bool LinkMissing { get; set; }

    /// <summary>Whether the listener is open.</summary>
    public bool Listening => _app is not null;

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedMemoryRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests to one path (e.g. <c>/memory/remember</c>), oldest first.</summary>
    public IReadOnlyList<RecordedMemoryRequest> RequestsTo(string path) => [.. Requests.Where(r => r.Path == path)];

    /// <summary>Everything stored, ordered by tenant, namespace and key.</summary>
    public IReadOnlyList<StoredMemory> Memories
    {
        get
        {
            lock (_gate)
            {
                return [.. _store.OrderBy(e => e.Key.Tenant, StringComparer.Ordinal).ThenBy(e => e.Key.Namespace, StringComparer.Ordinal).ThenBy(e => e.Key.Key, StringComparer.Ordinal)
                    .Select(e => new StoredMemory(e.Key.Tenant, e.Key.Namespace, e.Key.Key, e.Value.Value.ToJsonString(), [.. e.Value.Tags], [.. e.Value.Links]))];
            }
        }
    }

    public static async Task<SomaBrainStandIn> StartAsync(string token = "standin-token")
    {
        var standIn = new SomaBrainStandIn(token);
        await standIn.StartListeningAsync();
        return standIn;
    }

    /// <summary>
    /// The next <paramref name="count"/> requests (to <paramref name="path"/>, or to any path but <c>/health</c>) answer
    /// <paramref name="status"/> with <c>{"detail": …}</c>, and a <c>Retry-After</c> header when given.
    /// </summary>
    public void FailNext(int count, int status, string? detail = null, string? retryAfter = null, string? path = null) =>
        AddFaults(count, new Fault(FaultKind.Status, path, status, detail ?? DefaultDetail(status), retryAfter));

    /// <summary>The next <paramref name="count"/> requests get a 200 whose body is cut off by aborting the connection.</summary>
    public void CutNext(int count = 1, string? path = null) => AddFaults(count, new Fault(FaultKind.Cut, path, 200, null, null));

    /// <summary>The next <paramref name="count"/> requests get a 200 with a body that is not valid JSON.</summary>
    public void MalformedNext(int count = 1, string? path = null) => AddFaults(count, new Fault(FaultKind.Malformed, path, 200, null, null));

    /// <summary>Closes the listener: connections are refused until <see cref="StartListeningAsync"/>.</summary>
    public async Task StopListeningAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Opens the listener (on the same port as before, after a stop). The store survives.</summary>
    public async Task StartListeningAsync()
    {
        if (_app is not null)
        {
            return;
        }

        (var app, Port) = await LoopbackListener.StartAsync(HandleAsync, Port);
        _app = app;
    }

    public async ValueTask DisposeAsync() => await StopListeningAsync();

    private void AddFaults(int count, Fault fault)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _faults.Add(fault);
            }
        }
    }

    private Fault? TakeFault(string path)
    {
        lock (_gate)
        {
            var index = _faults.FindIndex(f => f.Path is null ? path != "/health" : f.Path == path);
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index];
            _faults.RemoveAt(index);
            return fault;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = request.Path.Value ?? "/";
        lock (_gate)
        {
            _requests.Add(new RecordedMemoryRequest(TimeProvider.System.GetUtcNow(), request.Method, path, headers, body));
        }

        if (headers.TryGetValue("X-Request-ID", out var requestId))
        {
            context.Response.Headers["X-Request-ID"] = requestId;
        }

        var delay = path == "/health" ? HealthDelay : ResponseDelay;
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (TakeFault(path) is { } fault)
        {
            await ApplyAsync(context, fault);
            return;
        }

        var authorization = headers.GetValueOrDefault("Authorization");
        if (path != "/health" && authorization != $"Bearer {Token}")
        {
            await WriteAsync(context, 401, new JsonObject { ["detail"] = "Not authenticated" });
            return;
        }

        try
        {
            switch (request.Method, path)
            {
                case ("GET", "/health"):
                    var critical = HealthStatus == "critical";
                    await WriteAsync(context, 200, new JsonObject { ["ok"] = !critical, ["ready"] = !critical, ["status"] = HealthStatus });
                    break;
                case ("POST", "/memory/remember"):
                    await RememberAsync(context, headers, body, batch: false);
                    break;
                case ("POST", "/memory/remember/batch"):
                    await RememberAsync(context, headers, body, batch: true);
                    break;
                case ("POST", "/memory/recall"):
                    await RecallAsync(context, headers, body);
                    break;
                case ("POST", "/link") when !LinkMissing:
                    await LinkAsync(context, headers, body);
                    break;
                default:
                    await WriteAsync(context, 404, new JsonObject { ["detail"] = "Not Found" });
                    break;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            await WriteValidationAsync(context, "body", "invalid JSON: " + ex.Message);
        }
    }

    private async Task RememberAsync(HttpContext context, Dictionary<string, string> headers, string body, bool batch)
    {
        var json = JsonNode.Parse(body)?.AsObject();
        if (json is null)
        {
            await WriteValidationAsync(context, "body", "field required");
            return;
        }

        var tenant = json["tenant"]?.GetValue<string>();
        var ns = json["namespace"]?.GetValue<string>();
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(ns))
        {
            await WriteValidationAsync(context, string.IsNullOrEmpty(tenant) ? "tenant" : "namespace", "field required");
            return;
        }

        if (!TenantMatches(headers, tenant))
        {
            await WriteAsync(context, 403, new JsonObject { ["detail"] = "X-Tenant-ID does not match the body's tenant" });
            return;
        }

        var items = batch ? json["items"]?.AsArray().Select(i => i!.AsObject()).ToList() : [json];
        if (items is null || items.Count == 0)
        {
            await WriteValidationAsync(context, "items", "at least one item required");
            return;
        }

        foreach (var item in items)
        {
            if (string.IsNullOrEmpty(item["key"]?.GetValue<string>()))
            {
                await WriteValidationAsync(context, "key", "field required");
                return;
            }

            if (item["value"] is not JsonObject)
            {
                await WriteValidationAsync(context, "value", "value must be an object");
                return;
            }
        }

        var results = new JsonArray();
        lock (_gate)
        {
            foreach (var item in items)
            {
                var key = item["key"]!.GetValue<string>();
                var links = item["links"]?.AsArray().Select(l => (l!["rel"]!.GetValue<string>(), l["target"]!.GetValue<string>(), l["weight"]?.GetValue<double>() ?? 1.0)).ToList() ?? [];
                var tags = item["tags"]?.AsArray().Select(t => t!.GetValue<string>()).ToList() ?? [];
                var existed = _store.TryGetValue((tenant, ns, key), out var entry);
                if (entry is null)
                {
                    entry = new Entry(item["value"]!.DeepClone().AsObject());
                    _store[(tenant, ns, key)] = entry;
                }
                else
                {
                    entry.Value = item["value"]!.DeepClone().AsObject();
                }

                entry.Tags = tags;
                entry.UpdatedSequence = ++_sequence;
                foreach (var link in links)
                {
                    entry.AddLink(link);
                }

                results.Add(new JsonObject { ["ok"] = true, ["key"] = key, ["deduplicated"] = existed });
            }
        }

        await WriteAsync(context, 200, batch ? new JsonObject { ["ok"] = true, ["results"] = results } : results[0]!.DeepClone());
    }

    private async Task RecallAsync(HttpContext context, Dictionary<string, string> headers, string body)
    {
        var json = JsonNode.Parse(body)?.AsObject();
        var query = json?["query"]?.GetValue<string>();
        var tenant = json?["tenant"]?.GetValue<string>();
        var ns = json?["namespace"]?.GetValue<string>();
        if (json is null || query is null || string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(ns))
        {
            await WriteValidationAsync(context, "query", "query, tenant and namespace are required");
            return;
        }

        if (!TenantMatches(headers, tenant))
        {
            await WriteAsync(context, 403, new JsonObject { ["detail"] = "X-Tenant-ID does not match the body's tenant" });
            return;
        }

        var topK = json["top_k"]?.GetValue<int>() ?? 10;
        if (topK < 1)
        {
            await WriteValidationAsync(context, "top_k", "ensure this value is greater than or equal to 1");
            return;
        }

        var minScore = json["min_score"]?.GetValue<double>();
        var tags = json["tags"]?.AsArray().Select(t => t!.GetValue<string>()).ToList() ?? [];
        var terms = Terms(query);
        var matches = new List<(string Key, double Score, long Sequence, JsonObject Value, List<(string Rel, string Target, double Weight)> Links)>();
        lock (_gate)
        {
            foreach (var ((t, n, key), entry) in _store)
            {
                if (t != tenant || n != ns || !tags.All(entry.Tags.Contains) || terms.Count == 0)
                {
                    continue;
                }

                var text = Terms(string.Join(' ', Strings(entry.Value)));
                var score = (double)terms.Count(text.Contains) / terms.Count;
                if (score > 0 && (minScore is null || score >= minScore))
                {
                    matches.Add((key, score, entry.UpdatedSequence, (JsonObject)entry.Value.DeepClone(), [.. entry.Links]));
                }
            }
        }

        var ordered = matches.OrderByDescending(m => m.Score).ThenByDescending(m => m.Sequence).ToList();
        var results = new JsonArray();
        foreach (var match in ordered.Take(topK))
        {
            results.Add(new JsonObject
            {
                ["key"] = match.Key,
                ["score"] = match.Score,
                ["value"] = match.Value,
                ["links"] = new JsonArray([.. match.Links.Select(l => (JsonNode)new JsonObject { ["rel"] = l.Rel, ["target"] = l.Target, ["weight"] = l.Weight })]),
            });
        }

        await WriteAsync(context, 200, new JsonObject { ["results"] = results, ["total_results"] = ordered.Count, ["degraded"] = HealthStatus == "degraded" });
    }

    private async Task LinkAsync(HttpContext context, Dictionary<string, string> headers, string body)
    {
        if (!headers.TryGetValue("X-Tenant-ID", out var tenant) || tenant.Length == 0)
        {
            await WriteAsync(context, 403, new JsonObject { ["detail"] = "X-Tenant-ID is required" });
            return;
        }

        var json = JsonNode.Parse(body)?.AsObject();
        var from = json?["from_key"]?.GetValue<string>();
        var to = json?["to_key"]?.GetValue<string>();
        var type = json?["type"]?.GetValue<string>();
        if (string.IsNullOrEmpty(from) || string.IsNullOrEmpty(to) || string.IsNullOrEmpty(type))
        {
            await WriteValidationAsync(context, "from_key", "from_key, to_key and type are required");
            return;
        }

        var weight = json!["weight"]?.GetValue<double>() ?? 1.0;
        bool found;
        lock (_gate)
        {
            var sources = _store.Where(e => e.Key.Tenant == tenant && e.Key.Key == from).Select(e => e.Value).ToList();
            found = sources.Count > 0;
            foreach (var source in sources)
            {
                source.AddLink((type, to, weight));
            }
        }

        if (!found)
        {
            await WriteAsync(context, 404, new JsonObject { ["detail"] = $"memory '{from}' not found" });
            return;
        }

        await WriteAsync(context, 200, new JsonObject { ["ok"] = true });
    }

    private static bool TenantMatches(Dictionary<string, string> headers, string tenant) =>
        headers.TryGetValue("X-Tenant-ID", out var header) && header == tenant;

    private static async Task ApplyAsync(HttpContext context, Fault fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.Status:
                if (fault.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = fault.RetryAfter;
                }

                await WriteAsync(context, fault.Status, new JsonObject { ["detail"] = fault.Detail });
                break;
            case FaultKind.Cut:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 200;
                await context.Response.WriteAsync("{\"ok\":true,\"ke");
                await context.Response.Body.FlushAsync();
                context.Abort();
                break;
            default:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"ok\": true, \"key\": <<not json>>");
                break;
        }
    }

    private static Task WriteValidationAsync(HttpContext context, string field, string message) =>
        WriteAsync(context, 422, new JsonObject
        {
            ["detail"] = new JsonArray(new JsonObject { ["loc"] = new JsonArray("body", field), ["msg"] = message, ["type"] = "value_error" }),
        });

    private static Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static string DefaultDetail(int status) => status switch
    {
        422 => "validation failed",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };

    private static HashSet<string> Terms(string text) =>
        [.. text.ToLowerInvariant().Split(Separators, StringSplitOptions.RemoveEmptyEntries)];

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        _ => [],
    };

    private enum FaultKind
    {
        Status,
        Cut,
        Malformed,
    }

    private sealed record Fault(FaultKind Kind, string? Path, int Status, string? Detail, string? RetryAfter);

    private sealed class Entry(JsonObject value)
    {
        public JsonObject Value { get; set; } = value;

        public List<string> Tags { get; set; } = [];

        public List<(string Rel, string Target, double Weight)> Links { get; } = [];

        public long UpdatedSequence { get; set; }

        public void AddLink((string Rel, string Target, double Weight) link)
        {
            Links.RemoveAll(l => l.Rel == link.Rel && l.Target == link.Target);
            Links.Add(link);
        }
    }
}
