namespace Soma.Contracts.Events;

/// <summary>The outcome an audit record states.</summary>
public enum AuditDecision
{
    /// <summary>Allowed.</summary>
    Allow,

    /// <summary>Denied.</summary>
    Deny,

    /// <summary>No decision applies.</summary>
    None,
}
