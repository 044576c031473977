namespace Soma.Core.Memory;

/// <summary>
/// How the memory stores score a match (documented in docs/memory.md):
/// <code>
/// relevance = r / (r + k)                        r: the engine's text rank (≥ 0), k: its scale
/// recency   = H / (H + age_days)                 H = 7 days, age from the memory's last update
/// score     = 0.8 · relevance + 0.2 · recency    always in 0..1
/// </code>
/// The engines rank text differently: SQLite FTS5 gives BM25 (<c>r = -bm25()</c>, <c>k = 1</c>), PostgreSQL gives
/// <c>ts_rank</c> (<c>k = 0.1</c>, its typical range being ten times smaller). The order keeps the same promises on
/// both: more matching words beat fewer, and among equally relevant memories the newer wins (ties: newer update
/// first, then key). Absolute scores differ between engines, so a <c>min_score</c> tuned on one is approximate on the other.
/// </summary>
public static class MemoryScore
{
    /// <summary>The weight of text relevance.</summary>
    public const double RelevanceWeight = 0.8;

    /// <summary>The weight of recency.</summary>
    public const double RecencyWeight = 0.2;

    /// <summary>The age, in days, at which recency has halved.</summary>
    public const double RecencyHalfLifeDays = 7.0;
}
