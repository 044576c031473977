namespace Soma.Core.Storage;

/// <summary>Model token usage per tenant, model and UTC day.</summary>
public interface IUsageLedger
{
    /// <summary>Adds one model call's tokens inside <paramref name="transaction"/>.</summary>
    Task RecordAsync(IStoreTransaction transaction, UsageRecord usage, CancellationToken cancellationToken = default);

    /// <summary>The tenant's usage per day and model between <paramref name="from"/> and <paramref name="until"/> (inclusive), newest first.</summary>
    Task<IReadOnlyList<UsageTotal>> ListAsync(string tenantId, DateOnly from, DateOnly until, CancellationToken cancellationToken = default);
}

/// <summary>One model call's usage.</summary>
/// <param name="TenantId">The tenant that made the call.</param>
/// <param name="Model">The configured model name that answered.</param>
/// <param name="Day">The UTC day of the call.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
public sealed record UsageRecord(string TenantId, string Model, DateOnly Day, long InputTokens, long OutputTokens);

/// <summary>Usage summed per day and model.</summary>
/// <param name="Day">The UTC day.</param>
/// <param name="Model">The configured model name.</param>
/// <param name="Calls">Model calls.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
public sealed record UsageTotal(DateOnly Day, string Model, long Calls, long InputTokens, long OutputTokens);
