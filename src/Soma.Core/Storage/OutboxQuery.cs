namespace Soma.Core.Storage;

/// <summary>A read of outbox rows in id order (an operator's tail of the event log), whatever their delivery state.</summary>
/// <param name="Topics">Only rows of these topics.</param>
/// <param name="Limit">At most this many rows.</param>
public sealed record OutboxQuery(IReadOnlyCollection<string> Topics, int Limit)
{
    /// <summary>Only this tenant's rows, or every tenant's when null.</summary>
    public string? TenantId { get; init; }

    /// <summary>Only rows created at or after this time, or all when null.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only rows after this id (the last one read), or from the first when null.</summary>
    public Guid? After { get; init; }
}
