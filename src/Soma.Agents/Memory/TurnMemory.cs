using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Core.Memory;
using Soma.Memory;
using Soma.Memory.Cache;
using Soma.Memory.Client;
using Soma.Memory.WriteThrough;

namespace Soma.Agents.Memory;

/// <summary>A memory recalled into a turn's context.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Score">How well it matched, 0..1.</param>
/// <param name="Role">Who said it: user, assistant, tool or note.</param>
/// <param name="Text">What was said.</param>
/// <param name="Match">
/// Why it was recalled: <c>text</c> (its words), <c>meaning</c> or <c>both</c>; null when the memory service does not
/// say (SomaBrain) and in checkpoints written before recall by meaning.
/// </param>
public sealed record RecalledMemory(string Key, double Score, string Role, string Text, string? Match = null);

/// <summary>What a turn's recall found, and the <c>memory.recall</c> event that says so.</summary>
/// <param name="Memories">Best first; empty when memory could not answer.</param>
/// <param name="Event">The event for the turn's log.</param>
public sealed record TurnRecall(IReadOnlyList<RecalledMemory> Memories, MemoryRecalled Event);

/// <summary>
/// The turn's recall: through the recall cache, bounded in time, never an error. When the memory service is down (or
/// does not answer in time) the turn goes on without recalled memory and its <c>memory.recall</c> event says
/// <c>degraded</c> with the reason.
/// </summary>
public sealed class TurnMemory(MemoryRecaller recaller, MemoryHealthMonitor monitor, MemoryWriteThrough memory, TimeProvider time, IOptions<MemoryOptions> options)
{
    private const int MaxMemoryCharacters = 2000;
    private const int MaxQueryCharacters = 4000;

    /// <summary>Recalls what matches <paramref name="query"/>, leaving out memories of <paramref name="inContext"/> messages (already in the context).</summary>
    public async Task<TurnRecall?> RecallAsync(string tenant, string query, IReadOnlySet<string> inContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(inContext);
        var settings = options.Value;
        if (settings.RecallTopK == 0 || string.IsNullOrWhiteSpace(query))
        {
            return null;
        }

        if (monitor.Mode == MemoryMode.Down)
        {
            return Degraded("memory.down", "The memory service is down; this turn runs without recalled memory.", 0);
        }

        var started = time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(settings.RecallTimeoutMilliseconds));
        RecallResponse response;
        try
        {
            var topK = Math.Min(100, settings.RecallTopK + inContext.Count);
            response = await recaller.RecallAsync(
                new RecallRequest(query.Length > MaxQueryCharacters ? query[..MaxQueryCharacters] : query, tenant, memory.Namespace, topK, MinScore: settings.RecallMinScore)
                {
                    // Named, so the answer says why each memory matched (and words still answer where meaning is off).
                    Mode = RecallModes.Hybrid,
                },
                timeout.Token).ConfigureAwait(false);
        }
        catch (MemoryBackendException)
        {
            // The service's own error text stays in its client's logs: it may name addresses or internals.
            return Degraded("memory.unavailable", "Memory could not be recalled; this turn runs without it.", Elapsed(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Degraded("memory.timeout", $"Memory did not answer within {settings.RecallTimeoutMilliseconds} ms; this turn runs without it.", Elapsed(started));
        }

        var kept = response.Results
            .Where(r => MemoryValues.Field(r.Value, "message_id") is not { } id || !inContext.Contains(id))
            .Take(settings.RecallTopK)
            .Select(r =>
            {
                var text = MemoryValues.Text(r.Value);
                return new RecalledMemory(
                    r.Key, Math.Round(r.Score, 4), MemoryValues.Role(r.Value), text.Length > MaxMemoryCharacters ? text[..MaxMemoryCharacters] + "…" : text, r.Match);
            })
            .ToList();
        var error = response.Degraded ? new EventError("memory.degraded", "The memory service answered from a degraded state; results may be partial.", true) : null;
        return new TurnRecall(kept, new MemoryRecalled(
            response.Degraded ? RecallOutcome.Degraded : kept.Count > 0 ? RecallOutcome.Hit : RecallOutcome.Miss,
            kept.Count, response.Cached ? CacheOutcome.Hit : CacheOutcome.Miss, Elapsed(started), error, Matches(kept)));
    }

    // Counted only when the service said why every memory matched (SomaBrain says nothing).
    private static RecallMatches? Matches(List<RecalledMemory> kept) =>
        kept.Count == 0 || kept.Any(m => m.Match is not (RecallModes.Text or RecallModes.Meaning or RecallModes.Both))
            ? null
            : new RecallMatches(
                kept.Count(m => m.Match == RecallModes.Text), kept.Count(m => m.Match == RecallModes.Meaning), kept.Count(m => m.Match == RecallModes.Both));

    private double Elapsed(long started) => Math.Round(time.GetElapsedTime(started).TotalMilliseconds, 2);

    private static TurnRecall Degraded(string code, string message, double latency) =>
        new([], new MemoryRecalled(RecallOutcome.Degraded, 0, CacheOutcome.Bypass, latency, new EventError(code, message, true)));
}
