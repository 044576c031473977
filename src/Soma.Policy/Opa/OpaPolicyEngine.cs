using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Soma.Core.Policy;

namespace Soma.Policy.Opa;

/// <summary>
/// Decides through an OPA server's Data API: <c>POST {Url}/v1/data/{query path}?provenance=true</c> with
/// <c>{"input": …}</c> (the input document of <see cref="PolicyInputDocument"/>), reading <c>{"result": …}</c> with
/// <see cref="DecisionReader"/>. The query <c>data.soma.tools.decision</c> is the path <c>/v1/data/soma/tools/decision</c>.
/// </summary>
/// <remarks>
/// <para>It fails closed and never throws to its caller: no answer within <see cref="OpaOptions.TimeoutMilliseconds"/>
/// is a deny <c>policy.timeout</c>; an HTTP error status, a refused or cut connection, or an open breaker is
/// <c>policy.error</c>; an answer that is not JSON, or a result that is not <c>{allow, reasons}</c>, is
/// <c>policy.malformed</c>; no <c>result</c> (no rule matched and no default) is <c>policy.undefined</c>. Only the
/// caller's own cancellation escapes, as <see cref="OperationCanceledException"/>.</para>
/// <para>A circuit breaker counts timeouts, HTTP errors and connection failures (not undefined or malformed results,
/// which are answers, nor calls their caller cancelled). After <see cref="OpaOptions.BreakerFailures"/> of them in a row
/// it denies at once for <see cref="OpaOptions.BreakerBreakSeconds"/>, then lets one call through to see whether OPA is back.</para>
/// <para><b>Policy version.</b> OPA is asked for provenance; the decision's <see cref="PolicyDecision.PolicyVersion"/>
/// is the revision of the bundle that holds the policy (several bundles: <c>name:revision</c> pairs, sorted and joined
/// with commas), else the legacy single <c>revision</c>, else <c>opa</c> (policies pushed through the API have no revision).</para>
/// </remarks>
public sealed class OpaPolicyEngine : IPolicyEngine, IDisposable
{
    /// <summary>The engine's name, as audited and as <c>Soma:Policy:Provider</c> names it.</summary>
    public const string EngineName = "opa";

    // Answers are a small decision object; a huge one is a misconfigured query (e.g. all of data), not a decision.
    private const int MaxAnswerBytes = 1024 * 1024;
    private readonly HttpClient _http;
    private readonly Uri? _root;
    private readonly TimeSpan _timeout;
    private readonly int _timeoutMilliseconds;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<OpaCall> _pipeline;

    /// <summary>Creates the engine with its own pooled HTTP client for <paramref name="options"/>'s URL.</summary>
    /// <param name="options">Where OPA is, the token, the timeout and the breaker settings (validated at start).</param>
    /// <param name="logger">Where failures are logged; nothing by default.</param>
    /// <param name="timeProvider">Time for the timeout, the breaker and durations; the system's by default.</param>
    public OpaPolicyEngine(OpaOptions options, ILogger<OpaPolicyEngine>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeoutMilliseconds = options.TimeoutMilliseconds;
        _timeout = TimeSpan.FromMilliseconds(options.TimeoutMilliseconds);
        _root = options.Url is { IsAbsoluteUri: true } url
            ? new Uri(url.AbsoluteUri.EndsWith('/') ? url.AbsoluteUri : url.AbsoluteUri + "/")
            : null;
        _http = new HttpClient(CreateHandler(), disposeHandler: true)
        {
            // A backstop only: each call is bounded by its own linked token source.
            Timeout = _timeout + TimeSpan.FromSeconds(1),
            MaxResponseContentBufferSize = MaxAnswerBytes,
        };
        if (!string.IsNullOrEmpty(options.Token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        }

        var failures = options.BreakerFailures;
        var breakSeconds = options.BreakerBreakSeconds;
        _pipeline = new ResiliencePipelineBuilder<OpaCall> { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<OpaCall>
            {
                // Every call in the window failed, and at least BreakerFailures of them: failures in a row.
                FailureRatio = 1.0,
                MinimumThroughput = failures,
                SamplingDuration = TimeSpan.FromSeconds(Math.Max(breakSeconds * 2, 30)),
                BreakDuration = TimeSpan.FromSeconds(breakSeconds),
                // Results only: a caller's cancellation is an exception, so it never counts against OPA.
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { Failed: true }),
                OnOpened = _ =>
                {
                    OpaLog.BreakerOpened(_logger, failures, breakSeconds);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    OpaLog.BreakerHalfOpened(_logger);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    OpaLog.BreakerClosed(_logger);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <inheritdoc />
    public string Name => EngineName;

    /// <inheritdoc />
    public async ValueTask<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        if (_root is null)
        {
            OpaLog.NotConfigured(_logger, input.Query, input.Tenant);
            return Deny(PolicyReasons.Error, started);
        }

        if (DataPath(input.Query) is not { } path)
        {
            OpaLog.BadQuery(_logger, input.Query, input.Tenant);
            return Deny(PolicyReasons.Error, started);
        }

        var uri = new Uri(_root, path + "?provenance=true");
        var body = PolicyInputDocument.SerializeRequest(input);
        OpaCall call;
        try
        {
            call = await _pipeline.ExecuteAsync(
                static (state, token) => state.Engine.CallAsync(state.Uri, state.Body, token),
                (Engine: this, Uri: uri, Body: body),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            OpaLog.BreakerRejected(_logger, input.Query, input.Tenant);
            return Deny(PolicyReasons.Error, started);
        }

        if (call.Failed)
        {
            if (call.FailureReason == PolicyReasons.Timeout)
            {
                OpaLog.TimedOut(_logger, input.Query, input.Tenant, _timeoutMilliseconds);
            }
            else if (call.Exception is { } exception)
            {
                OpaLog.Unreachable(_logger, input.Query, input.Tenant, exception);
            }
            else
            {
                OpaLog.HttpError(_logger, input.Query, input.Tenant, call.Status, call.ErrorCode ?? "unknown");
            }

            return Deny(call.FailureReason!, started);
        }

        return Read(call.Body!, input, started);
    }

    /// <summary>Disposes the HTTP client.</summary>
    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The Data API path of a query: <c>data.soma.tools.decision</c> → <c>v1/data/soma/tools/decision</c>, <c>data</c> →
    /// <c>v1/data</c>; null when the query is not a dotted path under <c>data</c>.
    /// </summary>
    internal static string? DataPath(string query)
    {
        const string Root = "data";
        if (query == Root)
        {
            return "v1/data";
        }

        if (!query.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var segments = query[(Root.Length + 1)..].Split('.');
        return segments.Any(s => s.Length == 0) ? null : "v1/data/" + string.Join('/', segments.Select(Uri.EscapeDataString));
    }

    private static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        UseCookies = false,
        AllowAutoRedirect = false,
    };

    private async ValueTask<OpaCall> CallAsync(Uri uri, byte[] body, CancellationToken cancellationToken)
    {
        // The timeout runs on the injected clock, and the caller's token is linked in so that its cancellation (not the
        // timeout's) is what escapes as an OperationCanceledException.
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? OpaCall.Answered(answer) : OpaCall.HttpError((int)response.StatusCode, ErrorCode(answer));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return OpaCall.TimedOut();
        }
        catch (HttpRequestException ex)
        {
            return OpaCall.Unreachable(ex);
        }
        catch (IOException ex)
        {
            return OpaCall.Unreachable(ex);
        }
    }

    private PolicyDecision Read(byte[] body, PolicyInput input, long started)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            OpaLog.AnswerNotJson(_logger, input.Query, input.Tenant);
            return Deny(PolicyReasons.Malformed, started);
        }

        using (document)
        {
            var answer = document.RootElement;
            if (answer.ValueKind != JsonValueKind.Object)
            {
                OpaLog.AnswerNotJson(_logger, input.Query, input.Tenant);
                return Deny(PolicyReasons.Malformed, started);
            }

            var version = PolicyVersion(answer);
            if (!answer.TryGetProperty("result", out var result))
            {
                OpaLog.Undefined(_logger, input.Query, input.Tenant);
                return Deny(PolicyReasons.Undefined, started, version);
            }

            var decision = DecisionReader.Read(result, version, EngineName, _time.GetElapsedTime(started), out var problem);
            if (problem is not null)
            {
                OpaLog.DecisionMalformed(_logger, input.Query, input.Tenant, problem);
            }

            return decision;
        }
    }

    private static string PolicyVersion(JsonElement answer)
    {
        if (!answer.TryGetProperty("provenance", out var provenance) || provenance.ValueKind != JsonValueKind.Object)
        {
            return EngineName;
        }

        if (provenance.TryGetProperty("bundles", out var bundles) && bundles.ValueKind == JsonValueKind.Object)
        {
            var revisions = bundles.EnumerateObject()
                .Where(b => b.Value.ValueKind == JsonValueKind.Object
                    && b.Value.TryGetProperty("revision", out var r) && r.ValueKind == JsonValueKind.String && r.GetString()!.Length > 0)
                .Select(b => (Name: b.Name, Revision: b.Value.GetProperty("revision").GetString()!))
                .OrderBy(b => b.Name, StringComparer.Ordinal)
                .ToList();
            if (revisions.Count == 1)
            {
                return revisions[0].Revision;
            }

            if (revisions.Count > 1)
            {
                return string.Join(',', revisions.Select(b => $"{b.Name}:{b.Revision}"));
            }
        }

        return provenance.TryGetProperty("revision", out var legacy) && legacy.ValueKind == JsonValueKind.String && legacy.GetString() is { Length: > 0 } revision
            ? revision
            : EngineName;
    }

    // OPA's error body is {"code": "...", "message": "..."}. Only the code is kept: the message may quote the input.
    private static string ErrorCode(byte[] answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("code", out var code)
                && code.ValueKind == JsonValueKind.String
                && code.GetString() is { Length: > 0 and <= 64 } text
                && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // Not OPA's error shape (a proxy's HTML page, say): the status says enough.
        }

        return "unknown";
    }

    private PolicyDecision Deny(string reason, long started, string version = EngineName) =>
        PolicyDecision.Deny(reason, version, EngineName, _time.GetElapsedTime(started));
}
