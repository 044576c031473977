using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Soma.Core.Health;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// Holds the current <see cref="KeyRing"/> and keeps it fresh: a loop reads the source every poll interval (with jitter for
/// Vault; a file watcher wakes it early for the file sources). A failed read keeps the last good ring and reports the
/// component <c>signing_keys</c> degraded. A token naming a kid the ring does not know makes a file source read again
/// at once (at most once a second), so a key added a moment ago is not refused.
/// </summary>
public sealed partial class KeyRingProvider : BackgroundService, IHealthReporter
{
    private static readonly TimeSpan ForcedReloadSpacing = TimeSpan.FromSeconds(1);
    private readonly IKeySource _source;
    private readonly KeyRingOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<KeyRingProvider> _logger;
    private readonly bool _embedded;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _reloadGate = new();
    private volatile KeyRing? _ring;
    private volatile string? _lastError;
    private DateTimeOffset _lastSuccess;
    private DateTimeOffset _lastForcedReload;

    /// <summary>Creates the provider (one per process).</summary>
    public KeyRingProvider(IKeySource source, IOptions<KeyRingOptions> options, IOptions<AuthOptions> auth, TimeProvider clock, ILogger<KeyRingProvider> logger)
    {
        _embedded = auth.Value.Mode == AuthMode.Hs256;
        _source = source;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The current ring; read from the source the first time it is needed.</summary>
    public KeyRing Current => _ring ?? LoadBlocking();

    /// <summary>The source's name (<c>data-dir</c>, <c>directory</c>, <c>vault</c>, <c>key-file</c>).</summary>
    public string SourceName => _source.Name;

    /// <summary>Reads the ring at start-up; a source that cannot be read, or that holds no key at all, stops the start.</summary>
    /// <exception cref="KeySourceException">The source cannot be read, or has no key.</exception>
    public async Task LoadAtStartAsync(CancellationToken cancellationToken)
    {
        if (_embedded && _ring is null)
        {
            var ring = await _source.LoadAsync(cancellationToken).ConfigureAwait(false);
            // A server that could verify no token would refuse every request: a Secret not yet filled in, a wrong mount.
            if (ring.Keys.Count == 0)
            {
                throw new KeySourceException($"The {_source.Name} source holds no signing or verification key: every token would be refused.");
            }

            Accept(ring);
        }
    }

    /// <summary>The keys that may verify a token with this kid and algorithm; the <see cref="TokenValidationParameters.IssuerSigningKeyResolver"/>.</summary>
    /// <exception cref="SecurityTokenKeyRetiredException">The kid names a retired key.</exception>
    public IEnumerable<SecurityKey> Resolve(string? kid, string? algorithm)
    {
        var now = _clock.GetUtcNow();
        var found = Current.Find(kid, algorithm, now);
        if (found.Keys.Count == 0 && !found.Retired && _source.WatchedFolder is not null && !string.IsNullOrEmpty(kid) && TryForcedReload(now))
        {
            found = Current.Find(kid, algorithm, now);
        }

        return found.Retired ? throw new SecurityTokenKeyRetiredException(kid) : found.Keys;
    }

    /// <summary>Signs with the current signer.</summary>
    /// <exception cref="InvalidOperationException">No key can sign now.</exception>
    public TokenIssuer Issuer(string issuer, string audience) => TokenIssuer.FromRing(Current, issuer, audience, _clock);

    /// <inheritdoc/>
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        if (!_embedded)
        {
            return Task.FromResult(new ComponentHealth("signing_keys", HealthStatus.Normal, new Dictionary<string, object?> { ["source"] = "identity provider (Soma:Auth:Mode Rs256)" }));
        }

        var ring = _ring;
        var now = _clock.GetUtcNow();
        var details = new Dictionary<string, object?>
        {
            ["source"] = _source.Name,
            ["version"] = ring?.Version,
            ["signer"] = ring?.SignerAt(now)?.Kid,
            ["keys"] = ring?.Keys.Select(k => new Dictionary<string, object?> { ["kid"] = k.Kid, ["alg"] = k.Algorithm, ["state"] = Wire(ring.StateOf(k, now)) }).ToList(),
            ["last_loaded_at"] = ring is null ? null : _lastSuccess,
            ["error"] = _lastError,
        };
        var status = ring is null || ring.SignerAt(now) is null && !ring.Keys.Any(k => k.BaseState(now) != SigningKeyState.Retired) ? HealthStatus.Down
            : _lastError is not null ? HealthStatus.Degraded
            : HealthStatus.Normal;
        return Task.FromResult(new ComponentHealth("signing_keys", status, details));
    }

    /// <summary>The wire name of a state (<c>pending</c>, <c>active</c>, <c>previous</c>, <c>retired</c>).</summary>
    public static string Wire(SigningKeyState state) => state.ToString().ToLowerInvariant();

    /// <summary>The public keys to publish (none when tokens come from an identity provider).</summary>
    public IReadOnlyList<JsonWebKey> PublicJwks() => _embedded ? Current.PublicJwks(_clock.GetUtcNow()) : [];

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_embedded)
        {
            return;
        }

        using var watcher = Watch();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(NextDelay(), stoppingToken);
                await ReloadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        (_source as IDisposable)?.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            Accept(await _source.LoadAsync(cancellationToken));
        }
        catch (KeySourceException ex)
        {
            var first = _lastError != ex.Message;
            _lastError = ex.Message;
            if (first)
            {
                LogReloadFailed(_logger, _source.Name, ex.Message, ex.IsTransient);
            }
        }
    }

    private void Accept(KeyRing ring)
    {
        var previous = _ring;
        _ring = ring;
        _lastSuccess = _clock.GetUtcNow();
        if (_lastError is not null)
        {
            _lastError = null;
            LogRecovered(_logger, _source.Name);
        }

        if (previous?.Version != ring.Version && _logger.IsEnabled(LogLevel.Information))
        {
            var now = _clock.GetUtcNow();
            var keys = string.Join(", ", ring.Keys.Select(k => $"{k.Kid} {k.Algorithm} {Wire(ring.StateOf(k, now))}"));
            LogLoaded(_logger, _source.Name, ring.Version, ring.SignerAt(now)?.Kid ?? "(none)", keys);
        }
    }

    private KeyRing LoadBlocking()
    {
        lock (_reloadGate)
        {
            if (_ring is null)
            {
                Accept(_source.LoadAsync().GetAwaiter().GetResult());
            }
        }

        return _ring!;
    }

    private bool TryForcedReload(DateTimeOffset now)
    {
        lock (_reloadGate)
        {
            if (now - _lastForcedReload < ForcedReloadSpacing)
            {
                return false;
            }

            _lastForcedReload = now;
            try
            {
                Accept(_source.LoadAsync().GetAwaiter().GetResult());
                return true;
            }
            catch (KeySourceException)
            {
                return false;
            }
        }
    }

    private TimeSpan NextDelay()
    {
        if (_source is not VaultKeySource)
        {
            return _options.PollInterval;
        }

        // ±20 %: many pods restarted together spread their reads over the interval.
        var interval = _options.Vault.PollInterval;
#pragma warning disable RS0030 // Jitter: unseeded on purpose.
        return interval * (0.8 + (0.4 * Random.Shared.NextDouble()));
#pragma warning restore RS0030
    }

    private FileSystemWatcher? Watch()
    {
        if (_source.WatchedFolder is not { } folder || !System.IO.Directory.Exists(folder))
        {
            return null;
        }

        // A folder of its own (a Secret mount) is watched whole. A file in a shared folder is watched by name only: the
        // data directory's database writes its log thousands of times a second under load, and watching writes there
        // woke this process (and reloaded the ring) for every one of them.
        var watcher = _source.WatchedFile is { } file
            ? new FileSystemWatcher(folder, file) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName }
            : new FileSystemWatcher(folder) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size };
        FileSystemEventHandler nudge = (_, _) => Nudge();
        watcher.Created += nudge;
        watcher.Changed += nudge;
        watcher.Deleted += nudge;
        watcher.Renamed += (_, _) => Nudge();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void Nudge()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A reload is already due.
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = LogEvents.SigningKeysLoaded, Level = LogLevel.Information, Message = "Signing keys from {Source} version {Version}: signer {Signer}; keys {Keys}")]
    private static partial void LogLoaded(ILogger logger, string source, string version, string signer, string keys);

    [LoggerMessage(EventId = LogEvents.SigningKeysReloadFailed, Level = LogLevel.Warning, Message = "Signing keys from {Source} could not be read; the last good ring stays in use: {Reason} (transient: {Transient})")]
    private static partial void LogReloadFailed(ILogger logger, string source, string reason, bool transient);

    [LoggerMessage(EventId = LogEvents.SigningKeysRecovered, Level = LogLevel.Information, Message = "Signing keys from {Source} are readable again")]
    private static partial void LogRecovered(ILogger logger, string source);
}

/// <summary>The token names a retired key (401 <c>token.key_retired</c>).</summary>
public sealed class SecurityTokenKeyRetiredException : SecurityTokenInvalidSigningKeyException
{
    /// <summary>Creates the exception.</summary>
    public SecurityTokenKeyRetiredException()
    {
    }

    /// <summary>Creates the exception for <paramref name="kid"/>.</summary>
    public SecurityTokenKeyRetiredException(string? kid)
        : base($"The token's key '{kid ?? "(legacy, no kid)"}' is retired.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public SecurityTokenKeyRetiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
