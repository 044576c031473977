namespace Soma.Contracts.Events;

/// <summary>The state a run was resumed from.</summary>
public enum ResumedFrom
{
    /// <summary>It was waiting for input.</summary>
    Waiting,

    /// <summary>It had failed.</summary>
    Failed,
}
