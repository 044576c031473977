namespace Soma.Core.Runs;

/// <summary>A workflow run as stored: its identity, state, versions and lease.</summary>
/// <param name="Id">The run id (UUIDv7).</param>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="Workflow">The workflow name.</param>
/// <param name="WorkflowVersion">The workflow version.</param>
/// <param name="State">The run state.</param>
/// <param name="Version">The run version: increases by one with every committed change; commits compare and swap on it.</param>
/// <param name="CheckpointVersion">The latest checkpoint version, 0 before the first checkpoint.</param>
/// <param name="Input">The run input (JSON).</param>
/// <param name="CreatedAt">When the run was accepted.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record RunRecord(
    Guid Id,
    string TenantId,
    string Workflow,
    int WorkflowVersion,
    RunState State,
    long Version,
    long CheckpointVersion,
    string Input,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The output (JSON) of a succeeded run.</summary>
    public string? Output { get; init; }

    /// <summary>The error (JSON) of a failed run.</summary>
    public string? Error { get; init; }

    /// <summary>What a waiting run waits for.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>The key that made the start request safe to repeat.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>W3C <c>traceparent</c> of the request that started the run.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The worker holding the lease, or null.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When the lease runs out.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Not handed to a worker before this time (a retry backoff), or null for at once.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>When the run ended (succeeded, failed or cancelled).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Whether the run has ended.</summary>
    public bool IsEnded => State is RunState.Succeeded or RunState.Failed or RunState.Cancelled;
}
