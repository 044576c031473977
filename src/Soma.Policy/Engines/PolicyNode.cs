using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Soma.Core.Policy;
using Soma.Core.Telemetry;

namespace Soma.Policy.Engines;

/// <summary>
/// The policy node in front of every tool: asks the configured engine (embedded Rego or OPA), keeps the obligations a
/// decision carries that an engine cannot keep itself (<c>rate_limit: {calls_per_minute}</c>, counted per tenant and
/// subject in this process), and measures every decision. It never throws for an engine's failure: the engines fail
/// closed, and anything that still escapes is a deny with <c>policy.error</c>.
/// </summary>
public sealed partial class PolicyNode : IPolicyEngine
{
    /// <summary>The meter of the policy instruments.</summary>
    public const string MeterName = SomaMeters.Policy;

    /// <summary>The reason code of a call over its rate limit.</summary>
    public const string RateLimited = "policy.rate_limited";

    private readonly IPolicyEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger<PolicyNode> _logger;
    private readonly ConcurrentDictionary<(string Tenant, string Subject), Window> _windows = new();
    private readonly Counter<long> _decisions;
    private readonly Histogram<double> _duration;

    /// <summary>The node over <paramref name="engine"/>.</summary>
    public PolicyNode(IPolicyEngine engine, TimeProvider time, IMeterFactory meterFactory, ILogger<PolicyNode> logger)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _engine = engine;
        _time = time;
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        _decisions = SomaMeters.PolicyDecisions.CreateCounter<long>(meter);
        _duration = SomaMeters.PolicyDecisionDuration.CreateHistogram<double>(meter);
    }

    /// <summary>The engine that decides.</summary>
    public IPolicyEngine Engine => _engine;

    /// <inheritdoc />
    public string Name => _engine.Name;

    /// <inheritdoc />
    public async ValueTask<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        PolicyDecision decision;
        try
        {
            decision = await _engine.DecideAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.EngineFailed(_logger, ex, _engine.Name);
            decision = PolicyDecision.Deny(PolicyReasons.Error, "none", _engine.Name, TimeSpan.Zero);
        }

        if (decision.Allow && RateLimitOf(decision) is { } perMinute && !TryTake(input.Tenant, input.Subject, perMinute))
        {
            decision = decision with { Allow = false, Reasons = [$"{RateLimited}: at most {perMinute} tool calls a minute"] };
        }

        var code = decision.Allow ? "policy" : FailClosedCode(decision);
        _decisions.Add(1, new("engine", _engine.Name), new("decision", decision.Allow ? "allow" : "deny"), new("reason", code), new("cached", decision.Cached ? "true" : "false"));
        _duration.Record(decision.Duration.TotalMilliseconds, new KeyValuePair<string, object?>("engine", _engine.Name));
        if (!decision.Allow && code != "policy")
        {
            Log.FailedClosed(_logger, input.Tool.Name, input.Tenant, code, _engine.Name);
        }

        return decision;
    }

    private static string FailClosedCode(PolicyDecision decision) =>
        decision.Reasons.FirstOrDefault(r => r.StartsWith("policy.", StringComparison.Ordinal) && r != PolicyReasons.Denied) is { } code
            ? code.Split(':')[0]
            : "policy";

    private static int? RateLimitOf(PolicyDecision decision) =>
        decision.Obligations is { ValueKind: JsonValueKind.Object } obligations
        && obligations.TryGetProperty("rate_limit", out var limit) && limit.ValueKind == JsonValueKind.Object
        && limit.TryGetProperty("calls_per_minute", out var calls) && calls.TryGetInt32(out var perMinute) && perMinute > 0
            ? perMinute
            : null;

    private bool TryTake(string tenant, string subject, int perMinute)
    {
        var minute = _time.GetUtcNow().ToUnixTimeSeconds() / 60;
        var window = _windows.AddOrUpdate((tenant, subject), _ => new Window(minute), (_, w) => w.Minute == minute ? w : new Window(minute));
        if (_windows.Count > 100_000)
        {
            // Old windows are worth nothing; drop them so one process's memory stays bounded.
            foreach (var stale in _windows.Where(w => w.Value.Minute < minute).Select(w => w.Key).ToList())
            {
                _windows.TryRemove(stale, out _);
            }
        }

        return Interlocked.Increment(ref window.Count) <= perMinute;
    }

    private sealed class Window(long minute)
    {
        public long Minute { get; } = minute;

        public int Count;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.PolicyNodeEngineFailed, Level = LogLevel.Error, Message = "Policy engine {Engine} threw; the decision is a deny")]
        public static partial void EngineFailed(ILogger logger, Exception exception, string engine);

        [LoggerMessage(EventId = LogEvents.PolicyNodeFailedClosed, Level = LogLevel.Warning, Message = "Tool {Tool} for tenant {Tenant} denied by {Code} (engine {Engine})")]
        public static partial void FailedClosed(ILogger logger, string tool, string tenant, string code, string engine);
    }
}
