using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Core.Telemetry;
using StackExchange.Redis;

namespace Soma.Memory.Cache;

/// <summary>
/// The recall cache in Redis (StackExchange.Redis), shared by every process pointed at the same server.
/// Keys: <c>soma:recall:gen:{tenant}:{namespace}</c> holds the namespace's generation (absent = 0; INCR on invalidate);
/// <c>soma:recall:{tenant}:{namespace}:{generation}:{hash}</c> holds one answer, set with the TTL.
/// </summary>
/// <remarks>
/// <para>Redis is an optimisation, never a dependency: any failure or timeout (<see cref="RecallCacheOptions.OperationTimeoutMilliseconds"/>)
/// is a miss — get answers null, set and invalidate return quietly — logged at warning (throttled, password redacted)
/// and counted in <c>soma.memory.recall.cache_errors</c>. Commands fail fast while disconnected instead of queueing.</para>
/// <para><b>The dirty-namespace rule.</b> An invalidate whose INCR fails would leave the old generation, and its
/// now-stale answers, readable once Redis is back. So the namespace is marked dirty in this process: while dirty,
/// gets first retry the INCR and answer a miss unless it succeeds, and sets are skipped. The mark clears only when an
/// INCR for that namespace succeeds (on a later get, a later invalidate, or at once when the connection is restored).
/// The mark is local: another process may read the old generation between Redis's return and this process's
/// successful INCR — a window of one reconnect, which the restore hook keeps short.</para>
/// <para>The generation key expires twice the TTL after its last INCR: by then every entry written under any of its
/// generations has expired, so restarting the count at 0 cannot revive one.</para>
/// </remarks>
internal sealed partial class RedisRecallCache : IRecallCache, IAsyncDisposable, IDisposable
{
    private const string IncrementScript = "local g = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return g";
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly ConfigurationOptions _configuration;
    private readonly string _redactedConfiguration;
    private readonly TimeSpan _ttl;
    private readonly long _generationTtlMilliseconds;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RedisRecallCache> _logger;
    private readonly Counter<long> _errors;
    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);
    private readonly MissGenerations _missGenerations = new();
    private readonly Lock _connectLock = new();
    private Task<ConnectionMultiplexer>? _connection;
    private long _lastWarningTimestamp = long.MinValue;
    private long _suppressedWarnings;

    public RedisRecallCache(IOptions<RecallCacheOptions> options, TimeProvider timeProvider, IMeterFactory meterFactory, ILogger<RedisRecallCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        var value = options.Value;
        _configuration = ConfigurationOptions.Parse(value.RedisConfiguration ?? throw new ArgumentException("RedisConfiguration is required.", nameof(options)));
        _timeout = TimeSpan.FromMilliseconds(value.OperationTimeoutMilliseconds);
        _configuration.AbortOnConnectFail = false;
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _configuration.AsyncTimeout = value.OperationTimeoutMilliseconds;
        _configuration.SyncTimeout = value.OperationTimeoutMilliseconds;
        _redactedConfiguration = _configuration.ToString(includePassword: false);
        _ttl = value.Ttl;
        _generationTtlMilliseconds = (long)(value.Ttl * 2).TotalMilliseconds;
        _timeProvider = timeProvider;
        _logger = logger;
        _errors = SomaMeters.MemoryRecallCacheErrors.CreateCounter<long>(meterFactory.Create(MemoryRecaller.MeterName));
    }

    public async ValueTask<RecallResponse?> GetAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        // WaitAsync below hands back a task that already finished without looking at the token, and Redis on loopback can
        // answer before it is reached: a cancelled get would then answer instead of throwing.
        cancellationToken.ThrowIfCancellationRequested();
        var scope = RecallCacheKey.Scope(request.Tenant, request.Namespace);
        if (_dirty.ContainsKey(scope) && !await TryIncrementAsync(scope, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            var (generation, utf8) = await GetCoreAsync(scope, RecallCacheKey.QueryHash(request)).WaitAsync(_timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            if (utf8 is null)
            {
                _missGenerations.Remember(request, generation);
                return null;
            }

            return RecallCacheValues.Deserialize(utf8);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Failed("get", ex);
            return null;
        }
    }

    public async ValueTask SetAsync(RecallRequest request, RecallResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var scope = RecallCacheKey.Scope(request.Tenant, request.Namespace);
        var seen = _missGenerations.TryTake(request, out var generation);
        if (_dirty.ContainsKey(scope))
        {
            return;
        }

        try
        {
            await SetCoreAsync(scope, seen ? generation : null, RecallCacheKey.QueryHash(request), RecallCacheValues.Serialize(response))
                .WaitAsync(_timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Failed("set", ex);
        }
    }

    public async ValueTask InvalidateAsync(string tenant, string @namespace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(@namespace);
        var scope = RecallCacheKey.Scope(tenant, @namespace);

        // Marked before the attempt, so a get racing a failing INCR cannot read the old generation in between.
        _dirty.TryAdd(scope, 0);
        await TryIncrementAsync(scope, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            if (connection.IsCompletedSuccessfully)
            {
                await connection.Result.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _ = connection.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>INCRs the namespace's generation; true (and the dirty mark cleared) on success, false (mark kept) otherwise.</summary>
    private async Task<bool> TryIncrementAsync(string scope, CancellationToken cancellationToken)
    {
        try
        {
            await IncrementCoreAsync(scope).WaitAsync(_timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            _dirty.TryRemove(scope, out _);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _dirty.TryAdd(scope, 0);
            Failed("invalidate", ex);
            return false;
        }
    }

    private async Task<(long Generation, byte[]? Value)> GetCoreAsync(string scope, string hash)
    {
        var database = (await ConnectAsync().ConfigureAwait(false)).GetDatabase();
        var generation = await ReadGenerationAsync(database, scope).ConfigureAwait(false);
        var value = await database.StringGetAsync(RecallCacheKey.RedisEntry(scope, generation, hash)).ConfigureAwait(false);
        return (generation, value.IsNull ? null : (byte[]?)value);
    }

    private async Task SetCoreAsync(string scope, long? seenGeneration, string hash, byte[] utf8)
    {
        var database = (await ConnectAsync().ConfigureAwait(false)).GetDatabase();
        var generation = seenGeneration ?? await ReadGenerationAsync(database, scope).ConfigureAwait(false);
        await database.StringSetAsync(RecallCacheKey.RedisEntry(scope, generation, hash), utf8, _ttl).ConfigureAwait(false);
    }

    private async Task IncrementCoreAsync(string scope)
    {
        var database = (await ConnectAsync().ConfigureAwait(false)).GetDatabase();
        await database.ScriptEvaluateAsync(IncrementScript, [RecallCacheKey.RedisGeneration(scope)], [_generationTtlMilliseconds]).ConfigureAwait(false);
    }

    private static async Task<long> ReadGenerationAsync(IDatabase database, string scope)
    {
        var value = await database.StringGetAsync(RecallCacheKey.RedisGeneration(scope)).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }

    // One multiplexer for the cache's lifetime, created on first use; AbortOnConnectFail=false makes it reconnect by
    // itself, so only a connect that threw outright is tried again.
    private Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is not null && !connection.IsFaulted && !connection.IsCanceled)
        {
            return connection;
        }

        lock (_connectLock)
        {
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled)
            {
                _connection = CreateConnectionAsync();
            }

            return _connection;
        }
    }

    private async Task<ConnectionMultiplexer> CreateConnectionAsync()
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration.Clone()).ConfigureAwait(false);
        multiplexer.ConnectionRestored += OnConnectionRestored;
        return multiplexer;
    }

    // Redis is back: move every dirty namespace on now, before another process can read its old generation.
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        foreach (var scope in _dirty.Keys)
        {
            _ = TryIncrementAsync(scope, CancellationToken.None);
        }
    }

    private void Failed(string operation, Exception exception)
    {
        _errors.Add(1, new KeyValuePair<string, object?>("operation", operation));

        // While Redis is down every recall fails the same way: one warning per interval, with the count in between.
        var now = _timeProvider.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTimestamp);
        if (last != long.MinValue && _timeProvider.GetElapsedTime(last, now) < WarningInterval
            || Interlocked.CompareExchange(ref _lastWarningTimestamp, now, last) != last)
        {
            Interlocked.Increment(ref _suppressedWarnings);
            return;
        }

        LogFailed(_logger, operation, _redactedConfiguration, Interlocked.Exchange(ref _suppressedWarnings, 0), exception.GetType().Name, Redact(exception.Message));
    }

    private string Redact(string message) =>
        string.IsNullOrEmpty(_configuration.Password) ? message : message.Replace(_configuration.Password, "*****", StringComparison.Ordinal);

    [LoggerMessage(EventId = LogEvents.RedisRecallCacheFailed, Level = LogLevel.Warning,
        Message = "Recall cache {Operation} failed against Redis ({Configuration}); treated as a miss ({Suppressed} more since the last warning). {ErrorType}: {Error}")]
    private static partial void LogFailed(ILogger logger, string operation, string configuration, long suppressed, string errorType, string error);
}
