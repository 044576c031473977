using Soma.Core.Storage;

namespace Soma.Core.Runs;

/// <summary>The record of completed side effects, written in the same transaction as the checkpoint that follows them.</summary>
public interface IEffectsLedger
{
    /// <summary>The completed effect with this key, or null when it has not completed (or belongs to another tenant).</summary>
    Task<EffectRecord?> GetAsync(string tenantId, Guid runId, string key, CancellationToken cancellationToken = default);

    /// <summary>Records a completed effect; false (recording nothing) when the key is already recorded.</summary>
    Task<bool> RecordAsync(IStoreTransaction transaction, EffectRecord effect, CancellationToken cancellationToken = default);

    /// <summary>Every completed effect of the run, by key.</summary>
    Task<IReadOnlyList<EffectRecord>> ListAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);
}
