using System.ComponentModel.DataAnnotations;

namespace Soma.Core.Outbox;

/// <summary>How the outbox backlog is watched, bound from <c>Soma:Outbox:Monitor</c>.</summary>
public sealed class OutboxMonitorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Outbox:Monitor";

    /// <summary>How often the backlog is read, in seconds. Default 5.</summary>
    [Range(1, 3600)]
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>The outbox reports degraded when its oldest pending row is older than this, in seconds. Default 300.</summary>
    [Range(1, 604_800)]
    public int DegradedAfterSeconds { get; set; } = 300;
}
