namespace Soma.Core.Runs;

/// <summary>A completed side effect in the effects ledger: its idempotency key and recorded result.</summary>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="RunId">The run that made it.</param>
/// <param name="Key">The idempotency key, derived from (run, step, loop iteration), never from the attempt.</param>
/// <param name="Result">The recorded result (JSON), returned instead of running the effect again.</param>
/// <param name="CompletedAt">When it was committed.</param>
public sealed record EffectRecord(string TenantId, Guid RunId, string Key, string Result, DateTimeOffset CompletedAt);
