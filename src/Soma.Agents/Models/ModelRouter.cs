using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Soma.Core.Health;

namespace Soma.Agents.Models;

/// <summary>
/// Calls the configured models through <see cref="IChatClient"/> (OpenAI-compatible endpoints), streaming. Each model
/// has a circuit breaker and a per-call timeout; a 5xx, 429, timeout, cut connection or open breaker before any text
/// arrived moves the call to the next model of the fallback list. Text already streamed is never taken back by a
/// fallback: a failure after the first text fails the call (the step retries it).
/// </summary>
public sealed partial class ModelRouter : IHealthReporter, IDisposable
{
    /// <summary>The activity source of model calls.</summary>
    public static readonly ActivitySource ActivitySource = Core.Telemetry.SomaActivitySources.Agents;

    private readonly List<Slot> _slots = [];
    private readonly ILogger _logger;
    private readonly ModelMetrics _metrics;

    /// <summary>Builds a client, breaker and timeout for every configured endpoint.</summary>
    public ModelRouter(IOptions<ModelOptions> options, ILogger<ModelRouter> logger, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _metrics = new ModelMetrics(meterFactory, () => _slots.Select(s => (s.Name, s.Breaker.State)));
        var settings = options.Value;
        var order = settings.Fallback.Count > 0
            ? settings.Fallback.Select(n => Resolve(settings, n)).Distinct().ToList()
            : settings.Endpoints.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var name in order)
        {
            var endpoint = settings.Endpoints[name];
            var breaker = new Breaker();
            var pipeline = new ResiliencePipelineBuilder()
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    FailureRatio = 1.0,
                    MinimumThroughput = settings.BreakerFailures,
                    SamplingDuration = TimeSpan.FromSeconds(Math.Max(settings.BreakerSeconds * 2, 30)),
                    BreakDuration = TimeSpan.FromSeconds(settings.BreakerSeconds),
                    // A call its caller cancelled (the run lost its lease, the host stops) says nothing about the model: it never counts.
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not (BrokenCircuitException or OperationCanceledException) && !IsRejection(ex)),
                    StateProvider = breaker.Provider,
                    OnOpened = args =>
                    {
                        breaker.Break.Opened(args.BreakDuration);
                        return ValueTask.CompletedTask;
                    },
                })
                .AddTimeout(TimeSpan.FromSeconds(endpoint.TimeoutSeconds))
                .Build();
            var client = new OpenAI.Chat.ChatClient(
                endpoint.Model!,
                new ApiKeyCredential(string.IsNullOrEmpty(endpoint.ApiKey) ? "no-key" : endpoint.ApiKey),
                new OpenAIClientOptions
                {
                    Endpoint = endpoint.Endpoint,
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // Fallback and step retries decide, not the SDK.
                    NetworkTimeout = TimeSpan.FromSeconds(endpoint.TimeoutSeconds),
                }).AsIChatClient();
            _slots.Add(new Slot(name, endpoint.Model!, endpoint.Endpoint!.GetLeftPart(UriPartial.Authority), endpoint.MaxOutputTokens, client, pipeline, breaker));
        }
    }

    /// <summary>Whether any model is configured.</summary>
    public bool IsConfigured => _slots.Count > 0;

    /// <summary>The configured names in fallback order.</summary>
    public IReadOnlyList<string> Names => [.. _slots.Select(s => s.Name)];

    /// <summary>
    /// Streams one answer. <paramref name="onText"/> gets each piece of text as it arrives. Throws
    /// <see cref="ModelCallException"/> when no model could answer.
    /// </summary>
    public async Task<ModelCallResult> CallAsync(
        IList<ChatMessage> messages, IList<AITool> tools, Func<string, ValueTask> onText, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(onText);
        if (_slots.Count == 0)
        {
            throw new ModelCallException(
                "model.not_configured",
                "No model is configured. Set Soma:Models:Endpoints:<name>:Endpoint and :Model (and :ApiKey if the server needs one), "
                + "e.g. SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT=http://127.0.0.1:5199/v1/ and SOMA__MODELS__ENDPOINTS__DEV__MODEL=soma-dev "
                + "with `soma dev model-server` running; see docs/getting-started.md.",
                retryable: false);
        }

        var passedOver = new List<string>();
        foreach (var slot in _slots)
        {
            var emitted = false;
            var started = Stopwatch.GetTimestamp();
            // GenAI semantic conventions: "{operation} {model}", a client span per endpoint tried.
            using var activity = ActivitySource.StartActivity($"chat {slot.ModelId}", ActivityKind.Client);
            activity?.SetTag("gen_ai.operation.name", "chat");
            activity?.SetTag("gen_ai.provider.name", "openai");
            activity?.SetTag("gen_ai.request.model", slot.ModelId);
            activity?.SetTag("soma.model.endpoint", slot.Name);
            try
            {
                var result = await slot.Pipeline.ExecuteAsync(
                    async token =>
                    {
                        var options = new ChatOptions { Tools = tools.Count > 0 ? tools : null, MaxOutputTokens = slot.MaxOutputTokens };
                        var text = new StringBuilder();
                        var calls = new List<ModelToolCall>();
                        string? finish = null;
                        long input = 0, output = 0;
                        await foreach (var update in slot.Client.GetStreamingResponseAsync(messages, options, token).ConfigureAwait(false))
                        {
                            foreach (var content in update.Contents)
                            {
                                switch (content)
                                {
                                    case TextContent { Text.Length: > 0 } piece:
                                        emitted = true;
                                        text.Append(piece.Text);
                                        await onText(piece.Text).ConfigureAwait(false);
                                        break;
                                    case FunctionCallContent call:
                                        calls.Add(new ModelToolCall(
                                            string.IsNullOrEmpty(call.CallId) ? $"call_{calls.Count}" : call.CallId,
                                            ToolNames.FromWire(call.Name),
                                            JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions)));
                                        break;
                                    case UsageContent usage:
                                        input += usage.Details.InputTokenCount ?? 0;
                                        output += usage.Details.OutputTokenCount ?? 0;
                                        break;
                                    default:
                                        break;
                                }
                            }

                            if (update.FinishReason is { } reason)
                            {
                                finish = reason.Value;
                            }
                        }

                        return new ModelCallResult(slot.Name, text.ToString(), calls, finish ?? (calls.Count > 0 ? "tool_calls" : "stop"), input, output, [.. passedOver]);
                    },
                    cancellationToken).ConfigureAwait(false);
                if (activity is { IsAllDataRequested: true })
                {
                    activity.SetTag("gen_ai.usage.input_tokens", result.InputTokens);
                    activity.SetTag("gen_ai.usage.output_tokens", result.OutputTokens);
                    activity.SetTag("gen_ai.response.finish_reasons", new[] { result.FinishReason });
                }

                _metrics.Succeeded(slot.Name, Stopwatch.GetElapsedTime(started), result.InputTokens, result.OutputTokens);
                return result;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not ModelCallException)
            {
                var why = Describe(ex);
                _metrics.Failed(slot.Name, Stopwatch.GetElapsedTime(started), emitted && !IsRejection(ex) ? "stream_broken" : ModelMetrics.Kind(ex));
                activity?.SetStatus(ActivityStatusCode.Error, why);
                if (IsRejection(ex))
                {
                    throw new ModelCallException("model.rejected", $"Model '{slot.Name}' refused the call ({why}): check its Endpoint, Model and ApiKey.", retryable: false);
                }

                if (emitted)
                {
                    Log.StreamBroken(_logger, slot.Name, why);
                    throw new ModelCallException("model.stream_broken", $"Model '{slot.Name}' stopped in the middle of its answer ({why}).", retryable: true);
                }

                Log.FellBack(_logger, slot.Name, why);
                passedOver.Add($"{slot.Name}: {why}");
            }
        }

        throw new ModelCallException("model.unavailable", "No model could answer: " + string.Join("; ", passedOver) + ".", retryable: true);
    }

    /// <inheritdoc />
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var details = new Dictionary<string, object?>(StringComparer.Ordinal) { ["configured"] = _slots.Count > 0 };
        var (open, trial) = (0, 0);
        foreach (var slot in _slots)
        {
            var state = slot.Breaker.State;
            if (state is CircuitState.Open or CircuitState.Isolated)
            {
                open++;
            }
            else if (state is CircuitState.HalfOpen)
            {
                // Its next call is a trial: not known good until it succeeds.
                trial++;
            }

            details[slot.Name] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["breaker"] = state.ToString().ToLowerInvariant(),
                ["model"] = slot.ModelId,
                ["endpoint"] = slot.Host,
            };
        }

        var status = open + trial == 0 ? HealthStatus.Normal : open < _slots.Count ? HealthStatus.Degraded : HealthStatus.Down;
        return Task.FromResult(new ComponentHealth("models", status, details));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            (slot.Client as IDisposable)?.Dispose();
        }
    }

    // 4xx other than 408 and 429: the request or the configuration is wrong; another try will not help.
    private static bool IsRejection(Exception ex) =>
        ex is ClientResultException { Status: >= 400 and < 500 and not 408 and not 429 };

    private static string Describe(Exception ex) => ex switch
    {
        BrokenCircuitException => "breaker open",
        TimeoutRejectedException => "timed out",
        ClientResultException { Status: > 0 } c => $"HTTP {c.Status}",
        ClientResultException => "connection failed",
        HttpRequestException => "connection failed",
        IOException => "connection cut",
        JsonException => "malformed response",
        _ => ex.GetType().Name,
    };

    private static string Resolve(ModelOptions settings, string nameOrAlias) =>
        settings.Endpoints.FirstOrDefault(e => string.Equals(e.Key, nameOrAlias, StringComparison.OrdinalIgnoreCase)
            || e.Value.Aliases.Contains(nameOrAlias, StringComparer.OrdinalIgnoreCase)).Key
        ?? throw new OptionsValidationException(ModelOptions.SectionName, typeof(ModelOptions), [$"Unknown model '{nameOrAlias}'."]);

    private sealed record Slot(
        string Name, string ModelId, string Host, int? MaxOutputTokens, IChatClient Client, ResiliencePipeline Pipeline, Breaker Breaker);

    /// <summary>A model's breaker as health and metrics report it: half-open once its break has run out (<see cref="CircuitBreak"/>).</summary>
    private sealed class Breaker
    {
        public CircuitBreakerStateProvider Provider { get; } = new();

        public CircuitBreak Break { get; } = new(TimeProvider.System);

        public CircuitState State => Provider.CircuitState switch
        {
            CircuitState.Open when Break.RanOut => CircuitState.HalfOpen,
            var state => state,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ModelRouterFellBack, Level = LogLevel.Warning, Message = "Model {Model} passed over: {Reason}")]
        public static partial void FellBack(ILogger logger, string model, string reason);

        [LoggerMessage(EventId = LogEvents.ModelRouterStreamBroken, Level = LogLevel.Warning, Message = "Model {Model} broke off its answer: {Reason}")]
        public static partial void StreamBroken(ILogger logger, string model, string reason);
    }
}
