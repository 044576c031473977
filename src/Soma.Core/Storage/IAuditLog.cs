namespace Soma.Core.Storage;

/// <summary>The append-only audit log. Records are never updated or deleted through this port.</summary>
public interface IAuditLog
{
    /// <summary>Appends a record inside <paramref name="transaction"/>.</summary>
    Task AppendAsync(IStoreTransaction transaction, AuditRecord record, CancellationToken cancellationToken = default);

    /// <summary>The tenant's records that match <paramref name="query"/>, newest first (ties by id, newest first).</summary>
    Task<Page<AuditRecord>> ListAsync(string tenantId, PageRequest page, AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>The tenant's records, newest first, optionally only those of one action.</summary>
    Task<Page<AuditRecord>> ListAsync(string tenantId, PageRequest page, string? action = null, CancellationToken cancellationToken = default) =>
        ListAsync(tenantId, page, new AuditQuery(Action: action), cancellationToken);
}
