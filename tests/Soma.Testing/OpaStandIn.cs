using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Soma.Testing;

/// <summary>
/// A loopback stand-in for an OPA server: a real Kestrel server on a free port speaking OPA's Data API
/// (<c>POST /v1/data/{path}</c> with <c>{"input": …}</c>). Each test gives the policy as a delegate from the data path
/// (<c>soma/tools/decision</c>) and the input to the result, null meaning undefined. On the wire it looks like OPA:
/// <c>{"result": …}</c>, <c>{}</c> when undefined, <c>provenance</c> when asked with <c>?provenance=true</c> and
/// <see cref="Provenance"/> is set, and <c>{"code": …, "message": …}</c> with 400 for a body that is not a JSON object,
/// 401 for a missing or wrong bearer token (when <see cref="Token"/> is set), 404 for other paths and 405 for other
/// methods. It records every request and fails on demand (<see cref="Fault"/>, <see cref="Delay"/>, stopped).
/// It parses JSON on its own, not through the client's code, so the two cannot share a mistake.
/// </summary>
public sealed class OpaStandIn : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<RecordedOpaRequest> _requests = [];
    private WebApplication? _app;

    private OpaStandIn(Func<string, JsonNode?, JsonNode?> decide, string? token)
    {
        Decide = decide;
        Token = token;
    }

    /// <summary>The policy: data path and input → result (null: undefined).</summary>
    public Func<string, JsonNode?, JsonNode?> Decide { get; set; }

    /// <summary>The bearer token required, or null to accept any request.</summary>
    public string? Token { get; }

    /// <summary>The current failure mode.</summary>
    public OpaFault Fault { get; set; }

    /// <summary>Delay before answering (aborted with the request).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>What <c>?provenance=true</c> adds as <c>provenance</c>; nothing when null.</summary>
    public JsonObject? Provenance { get; set; }

    /// <summary>The port it listens on (kept across <see cref="StopListeningAsync"/> and <see cref="StartListeningAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedOpaRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a stand-in whose policy is <paramref name="decide"/> (by default everything is undefined).</summary>
    public static async Task<OpaStandIn> StartAsync(Func<string, JsonNode?, JsonNode?>? decide = null, string? token = null)
    {
        var standIn = new OpaStandIn(decide ?? ((_, _) => null), token);
        await standIn.StartListeningAsync();
        return standIn;
    }

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

    /// <summary>Opens the listener (on the same port as before, after a stop).</summary>
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

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var path = request.Path.Value ?? "/";
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        lock (_gate)
        {
            _requests.Add(new RecordedOpaRequest(request.Method, path, request.QueryString.Value ?? "", headers, body));
        }

        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (Token is not null && headers.GetValueOrDefault("Authorization") != $"Bearer {Token}")
        {
            await WriteErrorAsync(context, 401, "unauthorized", "missing or invalid token");
            return;
        }

        const string Prefix = "/v1/data";
        if (path != Prefix && !path.StartsWith(Prefix + "/", StringComparison.Ordinal))
        {
            await WriteErrorAsync(context, 404, "resource_not_found", $"path {path} not found");
            return;
        }

        if (request.Method != "POST")
        {
            await WriteErrorAsync(context, 405, "method_not_allowed", $"method {request.Method} not allowed");
            return;
        }

        JsonNode? input;
        try
        {
            if (JsonNode.Parse(body.Length == 0 ? "{}" : body) is not JsonObject document)
            {
                await WriteErrorAsync(context, 400, "invalid_parameter", "body must be an object");
                return;
            }

            input = document["input"];
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, 400, "invalid_parameter", "body contains malformed input document: " + ex.Message);
            return;
        }

        switch (Fault)
        {
            case OpaFault.ServerError:
                await WriteErrorAsync(context, 500, "internal_error", "eval_conflict_error: complete rules must not produce multiple outputs");
                return;
            case OpaFault.Malformed:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"result\": {\"allow\": <<not json>>");
                return;
            case OpaFault.Cut:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 200;
                await context.Response.WriteAsync("{\"result\":{\"allo");
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
        }

        var answer = new JsonObject();
        var result = Fault == OpaFault.Undefined ? null : Decide(path.Length > Prefix.Length ? path[(Prefix.Length + 1)..] : "", input?.DeepClone());
        if (result is not null)
        {
            answer["result"] = result;
        }

        if (Provenance is not null && request.Query["provenance"] == "true")
        {
            answer["provenance"] = Provenance.DeepClone();
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["code"] = code, ["message"] = message }.ToJsonString());
    }
}
