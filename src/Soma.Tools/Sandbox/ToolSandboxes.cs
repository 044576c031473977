using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Soma.Core.Sandbox;
using Soma.Core.Telemetry;

namespace Soma.Tools.Sandbox;

/// <summary>
/// The sandbox profiles by name and which one a tool runs in (<c>Soma:Sandbox:Tools:{tool}</c>, else
/// <c>Soma:Sandbox:DefaultProfile</c>), plus the sandbox's own signals as metrics: every run by profile and outcome
/// (<c>exited</c>, <c>timeout</c>, <c>truncated</c>, <c>seccomp</c>, <c>signal</c>, <c>unavailable</c>).
/// </summary>
public sealed class ToolSandboxes
{
    /// <summary>The meter of the sandbox's metrics.</summary>
    public const string MeterName = SomaMeters.Sandbox;

    private readonly Dictionary<string, IToolSandbox> _profiles;
    private readonly SandboxOptions _options;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;

    /// <summary>Collects the registered profiles.</summary>
    public ToolSandboxes(IEnumerable<IToolSandbox> profiles, IOptions<SandboxOptions> options, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _profiles = profiles.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _options = options.Value;
        var meter = meters.Create(MeterName);
        _runs = SomaMeters.SandboxRuns.CreateCounter<long>(meter);
        _duration = SomaMeters.SandboxRunDuration.CreateHistogram<double>(meter);
    }

    /// <summary>Every profile.</summary>
    public IEnumerable<IToolSandbox> All => _profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    /// <summary>The profile <paramref name="tool"/> runs in.</summary>
    public IToolSandbox For(string tool)
    {
        var name = _options.Tools.TryGetValue(tool, out var chosen) ? chosen : _options.DefaultProfile;
        return _profiles.TryGetValue(name, out var sandbox) ? sandbox : throw new InvalidOperationException($"No sandbox profile is called '{name}'.");
    }

    /// <summary>Counts a finished run.</summary>
    public void Record(IToolSandbox sandbox, SandboxResult result)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(result);
        var outcome = Outcome(result);
        _runs.Add(1, new("profile", sandbox.Name), new("outcome", outcome));
        _duration.Record(result.Duration.TotalMilliseconds, new KeyValuePair<string, object?>("profile", sandbox.Name));
    }

    /// <summary>How a run ended, in one word.</summary>
    public static string Outcome(SandboxResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result switch
        {
            { Error: not null } => "unavailable",
            { TimedOut: true } => "timeout",
            { Signal: "SIGSYS" } => "seccomp",
            { OutputTruncated: true } => "truncated",
            { Signal: not null } => "signal",
            _ => "exited",
        };
    }
}
