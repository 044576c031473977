using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Soma.Core.Health;
using Soma.Core.Memory;

namespace Soma.Memory.Client;

/// <summary>
/// Wraps any <see cref="IMemoryBackend"/> (the HTTP client, or an in-process memory service) in one Polly pipeline:
/// retries with decorrelated-jitter exponential backoff on transient failures (honouring <c>Retry-After</c>), a circuit
/// breaker over every attempt, and a timeout per attempt.
/// </summary>
/// <remarks>
/// Non-transient failures (422, 403, 404 …) are neither retried nor counted by the breaker. While the breaker is open,
/// calls fail at once with a transient <see cref="MemoryBackendException"/> (<c>memory breaker open …</c>, carrying the
/// time left as <see cref="MemoryBackendException.RetryAfter"/>) without reaching the inner backend. A
/// <c>Retry-After</c> longer than <see cref="MemoryClientOptions.RetryMaxDelaySeconds"/> ends the call instead of being
/// waited out. Exceptions other than <see cref="MemoryBackendException"/> from the inner backend pass through untouched.
/// </remarks>
public sealed class ResilientMemoryBackend : IMemoryBackend
{
    private readonly IMemoryBackend _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _breaker = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly CircuitBreak _break;


    /// <summary>Builds the pipeline from <paramref name="options"/> around <paramref name="inner"/>.</summary>
    /// <param name="inner">The backend that does the work; it should make one attempt per call.</param>
    /// <param name="options">Timeout, retry and breaker settings.</param>
    /// <param name="timeProvider">Time for delays, timeouts and the breaker; the system's by default.</param>
    public ResilientMemoryBackend(IMemoryBackend inner, MemoryClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _time = timeProvider ?? TimeProvider.System;
        _break = new CircuitBreak(_time);
        _timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        var maxDelay = TimeSpan.FromSeconds(options.RetryMaxDelaySeconds);
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true, // Exponential with jitter is Polly's decorrelated jitter (v2).
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMilliseconds),
                MaxDelay = maxDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<MemoryBackendException>(ex => ex.Transient && (ex.RetryAfter is null || ex.RetryAfter <= maxDelay))
                    .Handle<TimeoutRejectedException>(),
                DelayGenerator = static args => ValueTask.FromResult(
                    args.Outcome.Exception is MemoryBackendException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(options.BreakerSamplingSeconds),
            BreakDuration = TimeSpan.FromSeconds(options.BreakerBreakSeconds),
            ShouldHandle = new PredicateBuilder()
                .Handle<MemoryBackendException>(ex => ex.Transient)
                .Handle<TimeoutRejectedException>(),
            StateProvider = _breaker,
            OnOpened = args =>
            {
                _break.Opened(args.BreakDuration);
                return Changed(MemoryBreakerState.Open);
            },
            OnHalfOpened = _ => Changed(MemoryBreakerState.HalfOpen),
            OnClosed = _ => Changed(MemoryBreakerState.Closed),
        });
        builder.AddTimeout(_timeout);
        _pipeline = builder.Build();
    }

    /// <summary>Raised after every attempt (first tries and retries), so observers can see partial failures.</summary>
    public event Action<MemoryCallOutcome>? AttemptCompleted;

    /// <summary>Raised when the breaker opens, half-opens or closes.</summary>
    public event Action<MemoryBreakerState>? BreakerStateChanged;

    /// <summary>The backend behind the pipeline (what the health monitor probes directly).</summary>
    public IMemoryBackend Inner => _inner;

    /// <summary>
    /// The breaker's state now. Half-open as soon as an open breaker's break has run out: Polly moves it there only when
    /// the next call arrives, and a caller that waits while the breaker is open (the sync worker pauses while the health
    /// monitor says down) would otherwise never make that trial call, so the breaker would stay open for good.
    /// </summary>
    public MemoryBreakerState BreakerState => _breaker.CircuitState switch
    {
        CircuitState.Closed => MemoryBreakerState.Closed,
        CircuitState.HalfOpen => MemoryBreakerState.HalfOpen,
        CircuitState.Open when _break.RanOut => MemoryBreakerState.HalfOpen,
        _ => MemoryBreakerState.Open,
    };

    /// <inheritdoc />
    public Task<RememberResponse> RememberAsync(RememberRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ExecuteAsync("remember", (backend, token) => backend.RememberAsync(request, token), cancellationToken);
    }

    /// <inheritdoc />
    public Task<RememberBatchResponse> RememberBatchAsync(RememberBatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ExecuteAsync("remember_batch", (backend, token) => backend.RememberBatchAsync(request, token), cancellationToken);
    }

    /// <inheritdoc />
    public Task<RecallResponse> RecallAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ExecuteAsync("recall", (backend, token) => backend.RecallAsync(request, token), cancellationToken);
    }

    /// <inheritdoc />
    public Task LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(request);
        return ExecuteAsync(
            "link",
            async (backend, token) =>
            {
                await backend.LinkAsync(tenant, request, token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<MemoryHealthResponse> HealthAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("health", (backend, token) => backend.HealthAsync(token), cancellationToken);

    private async Task<T> ExecuteAsync<T>(string operation, Func<IMemoryBackend, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var attempt = 0;
        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    var number = attempt++;
                    var started = _time.GetTimestamp();
                    try
                    {
                        var result = await call(_inner, token).ConfigureAwait(false);
                        Report(new MemoryCallOutcome(operation, number, Succeeded: true, Transient: false, Status: null, _time.GetElapsedTime(started)));
                        return result;
                    }
                    catch (MemoryBackendException ex)
                    {
                        Report(new MemoryCallOutcome(operation, number, Succeeded: false, ex.Transient, ex.Status, _time.GetElapsedTime(started)));
                        throw;
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // The per-attempt timeout fired; the pipeline turns this into a TimeoutRejectedException.
                        Report(new MemoryCallOutcome(operation, number, Succeeded: false, Transient: true, Status: null, _time.GetElapsedTime(started)));
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            throw new MemoryBackendException($"memory breaker open: {operation} not attempted; the memory service failed too often.", transient: true, innerException: ex)
            {
                RetryAfter = ex.RetryAfter,
            };
        }
        catch (TimeoutRejectedException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: no answer within {_timeout.TotalSeconds:0.#} s.", transient: true, innerException: ex);
        }
    }

    private void Report(MemoryCallOutcome outcome) => AttemptCompleted?.Invoke(outcome);

    private ValueTask Changed(MemoryBreakerState state)
    {
        BreakerStateChanged?.Invoke(state);
        return ValueTask.CompletedTask;
    }
}
