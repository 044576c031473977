using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Soma.Core.Policy;
using Soma.Policy.Bundles;
using Soma.Policy.Hosting;
using Soma.Policy.Rego;

namespace Soma.Policy.Engines;

/// <summary>
/// The embedded engine (<c>rego</c>): evaluates the loaded bundle in-process. The bundle is swapped atomically by
/// <see cref="PolicyReloader"/>; a decision reads one bundle from start to end. Fails closed: no bundle, an evaluation
/// error or a decision slower than <see cref="PolicyOptions.TimeoutMilliseconds"/> is a deny with its reason code.
/// </summary>
public sealed class RegoPolicyEngine(IOptions<PolicyOptions> options) : IPolicyEngine
{
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(options.Value.TimeoutMilliseconds);
    private volatile Loaded? _loaded;

    /// <inheritdoc />
    public string Name => "rego";

    /// <summary>The bundle deciding now, or null before the first load.</summary>
    public PolicyBundle? Bundle => _loaded?.Bundle;

    /// <summary>Makes <paramref name="bundle"/> the one that decides (atomic: decisions in flight finish on the old one).</summary>
    public void Swap(PolicyBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        _loaded = new Loaded(bundle);
    }

    /// <inheritdoc />
    public ValueTask<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = Stopwatch.GetTimestamp();
        var loaded = _loaded;
        if (loaded is null)
        {
            return ValueTask.FromResult(PolicyDecision.Deny(PolicyReasons.NotLoaded, "none", Name, TimeSpan.Zero));
        }

        var version = loaded.Bundle.Version;
        try
        {
            var query = loaded.Queries.GetOrAdd(input.Query, static (q, policy) => policy.Prepare(q), loaded.Bundle.Policy);
            var value = query.Evaluate(PolicyInputValue.From(input), new EvaluationOptions { Now = input.Now, CancellationToken = cancellationToken, Timeout = _timeout });
            return ValueTask.FromResult(DecisionValue.Read(value, version, Name, Stopwatch.GetElapsedTime(started)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            // The evaluation's own deadline (EvaluationOptions.Timeout): no timer per decision.
            return ValueTask.FromResult(PolicyDecision.Deny(PolicyReasons.Timeout, version, Name, Stopwatch.GetElapsedTime(started)));
        }
        catch (RegoException ex)
        {
            return ValueTask.FromResult(PolicyDecision.Deny(PolicyReasons.Error, version, Name, Stopwatch.GetElapsedTime(started)) with
            {
                Reasons = [PolicyReasons.Error, Truncate(ex.Message)],
            });
        }
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";

    private sealed class Loaded(PolicyBundle bundle)
    {
        public PolicyBundle Bundle { get; } = bundle;

        public ConcurrentDictionary<string, PreparedQuery> Queries { get; } = new(StringComparer.Ordinal);
    }
}
