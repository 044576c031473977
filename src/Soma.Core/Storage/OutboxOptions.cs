using System.ComponentModel.DataAnnotations;

namespace Soma.Core.Storage;

/// <summary>Outbox behaviour, bound from <c>Soma:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Outbox";

    /// <summary>Delivery attempts (claims) after which a failure or an expired lease dead-letters a row. Default 10.</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 10;
}
