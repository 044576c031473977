using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Telemetry;
using Soma.Policy.Bundles;
using Soma.Policy.Engines;

namespace Soma.Policy.Hosting;

/// <summary>
/// Loads the policy folder at start (a folder that does not load stops the start, naming file:line) and watches it:
/// a change is parsed, compiled and tested, then swapped in atomically; a change that fails keeps the version that
/// decides now, logs every error with its place, counts <c>soma.policy.reload_failures</c> and makes the
/// <c>policy</c> health component degraded until a good version loads. Processes that read the same files converge on
/// the same version (the version is a hash of the content).
/// </summary>
public sealed partial class PolicyReloader : BackgroundService
{
    private readonly RegoPolicyEngine _engine;
    private readonly PolicyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PolicyReloader> _logger;
    private readonly Counter<long> _reloads;
    private readonly SemaphoreSlim _changed = new(0);
    private string _fingerprint = string.Empty;

    /// <summary>The reloader of <paramref name="engine"/>'s bundle.</summary>
    public PolicyReloader(RegoPolicyEngine engine, IOptions<PolicyOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<PolicyReloader> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _engine = engine;
        _options = options.Value;
        _time = time;
        _logger = logger;
        Directory = _options.ResolveDirectory();
        _reloads = SomaMeters.PolicyReloads.CreateCounter<long>(meterFactory.Create(PolicyNode.MeterName));
    }

    /// <summary>The folder watched.</summary>
    public string Directory { get; }

    /// <summary>The last load that failed since the version deciding now was loaded, or null.</summary>
    public PolicyLoadResult? LastFailure { get; private set; }

    /// <summary>Loads the folder now. At start, a failure stops the start; later, it keeps the current version.</summary>
    public PolicyLoadResult Reload() => Apply(PolicyBundleLoader.Load([Directory], _time.GetUtcNow(), _options.RequireTests));

    // Swaps in a loaded bundle, or keeps the current one and remembers the failure.
    private PolicyLoadResult Apply(PolicyLoadResult result)
    {
        if (result.Bundle is { } bundle)
        {
            if (_engine.Bundle?.Version != bundle.Version)
            {
                _engine.Swap(bundle);
                Log.Loaded(_logger, bundle.Version, Directory, bundle.Files.Count, bundle.Tests);
            }

            LastFailure = null;
            _reloads.Add(1, new KeyValuePair<string, object?>("outcome", "loaded"));
        }
        else
        {
            LastFailure = result;
            _reloads.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            Log.LoadFailed(_logger, Directory, _engine.Bundle?.Version ?? "none", string.Join(Environment.NewLine, result.Errors));
        }

        return result;
    }

    /// <summary>The first load: a policy that does not load stops the start, naming each error's file:line.</summary>
    /// <exception cref="OptionsValidationException">The folder does not load.</exception>
    public void LoadAtStart()
    {
        if (_engine.Bundle is not null)
        {
            return;
        }

        _fingerprint = Fingerprint();
        var first = Reload();
        if (!first.Succeeded)
        {
            throw new OptionsValidationException(PolicyOptions.SectionName + ":Directory", typeof(PolicyOptions),
                [$"Soma:Policy:Directory: the policy in {Directory} does not load:", .. first.Errors]);
        }
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        LoadAtStart();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = TryWatch();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(_options.PollMilliseconds), stoppingToken).ConfigureAwait(false);
                var fingerprint = Fingerprint();
                if (fingerprint == _fingerprint)
                {
                    continue;
                }

                // An editor writes a file in several steps: let it settle, then load what is there.
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken).ConfigureAwait(false);
                _fingerprint = Fingerprint();
                var failedVersion = LastFailure?.Version;
                // Read once: the same contents give the version and, when it is new, the bundle.
                List<(string Name, string Text)> contents = [.. PolicyBundleLoader.FindFiles([Directory]).Select(f => (f.Name, File.ReadAllText(f.Path)))];
                var version = PolicyBundleLoader.VersionOf(contents);
                if (version != _engine.Bundle?.Version && version != failedVersion)
                {
                    Apply(PolicyBundleLoader.Load(contents, _time.GetUtcNow(), _options.RequireTests));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file vanished or changed while being read: the next pass sees the settled folder.
                Log.ReadFailed(_logger, ex, Directory);
                _fingerprint = string.Empty;
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    private FileSystemWatcher? TryWatch()
    {
        try
        {
            var watcher = new FileSystemWatcher(Directory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName };
            watcher.Changed += (_, _) => Signal();
            watcher.Created += (_, _) => Signal();
            watcher.Deleted += (_, _) => Signal();
            watcher.Renamed += (_, _) => Signal();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // Polling alone still sees every change.
            return null;
        }
    }

    private void Signal()
    {
        if (_changed.CurrentCount == 0)
        {
            _changed.Release();
        }
    }

    private string Fingerprint()
    {
        try
        {
            return string.Join('|', PolicyBundleLoader.FindFiles([Directory]).Select(f =>
            {
                var info = new FileInfo(f.Path);
                return $"{f.Name}:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
            }));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.PolicyReloaderLoaded, Level = LogLevel.Information, Message = "Policy {Version} loaded from {Directory}: {Files} files, {Tests} tests passed")]
        public static partial void Loaded(ILogger logger, string version, string directory, int files, int tests);

        [LoggerMessage(EventId = LogEvents.PolicyReloaderLoadFailed, Level = LogLevel.Error, Message = "The policy in {Directory} did not load; {Version} keeps deciding. Errors:\n{Errors}")]
        public static partial void LoadFailed(ILogger logger, string directory, string version, string errors);

        [LoggerMessage(EventId = LogEvents.PolicyReloaderReadFailed, Level = LogLevel.Warning, Message = "Could not read the policy folder {Directory}; will look again")]
        public static partial void ReadFailed(ILogger logger, Exception exception, string directory);
    }
}
