using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Soma.Server.Dev;

/// <summary>
/// An OpenAI-compatible model server on loopback (<c>GET /v1/models</c>, <c>POST /v1/chat/completions</c>, streamed or
/// not), for tests and for trying SomaAgent without a provider (<c>soma dev model-server</c>). It answers with queued
/// <see cref="ScriptedResponse"/>s first-in first-out, else with a deterministic demo: it echoes, calls the
/// <c>time.now</c>, <c>math.evaluate</c> and <c>session.search</c> tools when offered and asked, reports tool results,
/// and obeys <c>[[…]]</c> directives in the user's message (<c>[[status:429 retry-after=1]]</c>, <c>[[delay:300]]</c>,
/// <c>[[chunk-delay:50]]</c>, <c>[[cut]]</c>, <c>[[malformed]]</c>, <c>[[words:N]]</c>, <c>[[tool:NAME {json arguments}]]</c>).
/// </summary>
public sealed partial class DevModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DevModelServerOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<(string? Model, ScriptedResponse Response)> _scripts = [];
    private long _answerCount;
    private long _callCount;
    private int _disposed;

    private DevModelServer(WebApplication app, DevModelServerOptions options)
    {
        _app = app;
        _options = options;
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<DevModelServer>();
    }

    /// <summary>The API root to give an OpenAI client as its endpoint: <c>http://127.0.0.1:{port}/v1/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every chat request received so far, oldest first (a snapshot; safe to read while requests arrive).</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts listening on 127.0.0.1.</summary>
    /// <param name="options">Port, API key, chunk delay and listed models.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    /// <exception cref="IOException">The port is in use.</exception>
    public static async Task<DevModelServer> StartAsync(DevModelServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChunkDelay, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(options.Models);

        // No defaults: ASPNETCORE_URLS, appsettings files and the like must not move or reshape it.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Services.AddLogging();
        if (options.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        // A flush returns only once the socket took the bytes, so a chunk flushed before a scripted cut reaches the
        // client; with the default 64 KiB buffer the abort could drop chunks still queued for the socket.
        builder.Services.Configure<SocketTransportOptions>(sockets => sockets.MaxWriteBufferSize = 2);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));

        var app = builder.Build();
        var server = new DevModelServer(app, options);
        server.Map();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{new Uri(address).Port}/v1/"));
        return server;
    }

    /// <summary>
    /// Queues an answer for the next chat request (for <paramref name="model"/> only, when given). Queued answers are
    /// used first-in first-out; a request that is refused (wrong key, bad JSON) takes none.
    /// </summary>
    /// <param name="response">The answer.</param>
    /// <param name="model">Only a request for this model id takes it; null: any request.</param>
    public void Enqueue(ScriptedResponse response, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Validate();
        if (model is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(model);
        }

        lock (_gate)
        {
            _scripts.Add((model, response));
        }
    }

    /// <summary>Stops listening; streams still open are cut.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map()
    {
        _app.MapGet("/v1/models", (RequestDelegate)ListModelsAsync);
        _app.MapPost("/v1/chat/completions", (RequestDelegate)ChatAsync);
        _app.MapFallback((RequestDelegate)(context =>
            WriteErrorAsync(context, new ApiError(404, $"Invalid URL ({context.Request.Method} {context.Request.Path})", "invalid_request_error"))));
    }

    private async Task ListModelsAsync(HttpContext context)
    {
        if (Refusal(context) is { } refusal)
        {
            await WriteErrorAsync(context, refusal);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(OpenAiWire.Models(_options.Models, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()), context.RequestAborted);
    }

    private ScriptedResponse? TakeScript(string model)
    {
        lock (_gate)
        {
            var index = _scripts.FindIndex(s => s.Model is null || string.Equals(s.Model, model, StringComparison.Ordinal));
            if (index < 0)
            {
                return null;
            }

            var script = _scripts[index].Response;
            _scripts.RemoveAt(index);
            return script;
        }
    }

    private void Record(RecordedRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
    }

    private string NextCallId() => string.Create(CultureInfo.InvariantCulture, $"call_{Interlocked.Increment(ref _callCount)}");

    private ApiError? Refusal(HttpContext context)
    {
        if (_options.ApiKey is not { Length: > 0 } key)
        {
            return null;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return ApiError.MissingKey();
        }

        var expected = System.Text.Encoding.UTF8.GetBytes($"Bearer {key}");
        var actual = System.Text.Encoding.UTF8.GetBytes(authorization);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, actual) ? null : ApiError.WrongKey();
    }

    private static Task WriteErrorAsync(HttpContext context, ApiError error)
    {
        context.Response.StatusCode = error.StatusCode;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(OpenAiWire.Error(error), context.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.DevModelServerAnswered, Level = LogLevel.Information, Message = "{Model} (stream: {Stream}, {Messages} messages): {Outcome}")]
        public static partial void Answered(ILogger logger, string model, bool stream, int messages, string outcome);

        [LoggerMessage(EventId = LogEvents.DevModelServerRefused, Level = LogLevel.Information, Message = "Refused a chat request: {Status} {Reason}")]
        public static partial void Refused(ILogger logger, int status, string reason);
    }
}
