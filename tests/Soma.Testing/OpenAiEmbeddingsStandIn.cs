using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Soma.Testing;

/// <summary>
/// A loopback stand-in for an OpenAI-compatible embeddings server: a real Kestrel server on a free port answering
/// <c>POST /v1/embeddings</c> (<c>{"model", "input": [..]}</c> → <c>{"object": "list", "data": [{"object": "embedding",
/// "index", "embedding": [..]}], "model", "usage"}</c>). Its vectors are deterministic: a hashed bag of words (each
/// lower-cased word adds 1 at a position its hash picks), not unit length, so texts sharing words are similar and the
/// client's normalisation is exercised. Errors use OpenAI's shape <c>{"error": {"message", "type"}}</c>: 401 for a missing or
/// wrong bearer token (when <see cref="Token"/> is set), 400 for a body without a string array <c>input</c>, 404 for other
/// paths. It records every request and fails on demand (<see cref="Fault"/>, <see cref="Delay"/>, stopped).
/// </summary>
public sealed class OpenAiEmbeddingsStandIn : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<RecordedEmbeddingsRequest> _requests = [];
    private WebApplication? _app;

    private OpenAiEmbeddingsStandIn(int dimensions, string? token)
    {
        Dimensions = dimensions;
        Token = token;
    }

    /// <summary>The length of the vectors it gives.</summary>
    public int Dimensions { get; }

    /// <summary>The bearer token required, or null to accept any request.</summary>
    public string? Token { get; }

    /// <summary>The current failure mode.</summary>
    public OpenAiEmbeddingsFault Fault { get; set; }

    /// <summary>Delay before answering (aborted with the request): a slow server.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// A text whose request waits, unanswered, while this is set (aborted with the request): one memory the embedder
    /// never gets to while the others, and queries, are answered.
    /// </summary>
    public string? HeldText { get; set; }

    /// <summary>The port it listens on (kept across <see cref="StopListeningAsync"/> and <see cref="StartListeningAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedEmbeddingsRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a stand-in giving vectors of <paramref name="dimensions"/> floats.</summary>
    public static async Task<OpenAiEmbeddingsStandIn> StartAsync(int dimensions = 64, string? token = null)
    {
        var standIn = new OpenAiEmbeddingsStandIn(dimensions, token);
        await standIn.StartListeningAsync();
        return standIn;
    }

    /// <summary>The stand-in's vector for <paramref name="text"/> (a hashed bag of words, not normalised).</summary>
    public static float[] Vector(string text, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(text);
        var vector = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var trimmed = word.Trim('.', ',', '?', '!', ';', ':', '"', '\'');
            if (trimmed.Length == 0)
            {
                continue;
            }

            // FNV-1a: stable across processes, unlike string.GetHashCode.
            var hash = 2166136261u;
            foreach (var c in trimmed)
            {
                hash = (hash ^ c) * 16777619u;
            }

            vector[hash % (uint)dimensions] += 1;
        }

        // An empty text still gets a direction, as a real model's would.
        vector[0] += 0.01f;
        return vector;
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

        var authorization = request.Headers.Authorization.ToString();
        lock (_gate)
        {
            _requests.Add(new RecordedEmbeddingsRequest(request.Method, request.Path.Value ?? "/", authorization.Length == 0 ? null : authorization, body));
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

        if (request.Path != "/v1/embeddings" || request.Method != "POST")
        {
            await WriteErrorAsync(context, 404, "invalid_request_error", $"Unknown request URL: {request.Method} {request.Path}.");
            return;
        }

        if (Token is not null && authorization != $"Bearer {Token}")
        {
            await WriteErrorAsync(context, 401, "invalid_request_error", "Incorrect API key provided.");
            return;
        }

        string model;
        List<string> input;
        try
        {
            var document = JsonNode.Parse(body) as JsonObject;
            model = document?["model"]?.GetValue<string>() ?? "";
            input = document?["input"] is JsonArray texts ? [.. texts.Select(t => t!.GetValue<string>())] : [];
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException)
        {
            await WriteErrorAsync(context, 400, "invalid_request_error", "We could not parse the JSON body of your request.");
            return;
        }

        if (input.Count == 0 || model.Length == 0)
        {
            await WriteErrorAsync(context, 400, "invalid_request_error", "'input' must be a non-empty array of strings and 'model' is required.");
            return;
        }

        try
        {
            while (HeldText is { } held && input.Contains(held, StringComparer.Ordinal))
            {
                await Task.Delay(20, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        switch (Fault)
        {
            case OpenAiEmbeddingsFault.ServerError:
                await WriteErrorAsync(context, 500, "server_error", "The server had an error while processing your request.");
                return;
            case OpenAiEmbeddingsFault.Malformed:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"object\": \"list\", \"data\": [{\"embedding\": [0.1, <<not json>>");
                return;
            case OpenAiEmbeddingsFault.Cut:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 10_000;
                await context.Response.WriteAsync("{\"object\":\"list\",\"data\":[{\"object\":\"embed");
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
        }

        var count = Fault == OpenAiEmbeddingsFault.WrongCount ? input.Count - 1 : input.Count;
        var dimensions = Fault == OpenAiEmbeddingsFault.WrongDimensions ? Dimensions + 1 : Dimensions;
        var data = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = i,
                ["embedding"] = new JsonArray([.. Vector(input[i], dimensions).Select(v => (JsonNode)v)]),
            });
        }

        var answer = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = input.Sum(t => t.Length / 4), ["total_tokens"] = input.Sum(t => t.Length / 4) },
        };
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = null },
        }.ToJsonString());
    }
}
