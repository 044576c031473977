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

    /// <summary>
    /// How long a sent row is kept, in hours, before the pruner deletes it (0 keeps sent rows for ever). A run's event
    /// log (<c>GET /v1/runs/{id}/events</c>) and a session's memory writes are read from the outbox, so they reach back
    /// this far. Default 168 (7 days).
    /// </summary>
    [Range(0, 87_600)]
    public int RetentionHours { get; set; } = 168;

    /// <summary>How often the pruner looks for sent rows past their retention, in minutes. Default 10.</summary>
    [Range(1, 1440)]
    public int PruneIntervalMinutes { get; set; } = 10;
}
