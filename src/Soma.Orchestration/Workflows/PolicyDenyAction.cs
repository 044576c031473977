namespace Soma.Orchestration.Workflows;

/// <summary>What a policy step does with a deny.</summary>
public enum PolicyDenyAction
{
    /// <summary>The run fails with <c>policy.denied</c> (not retried).</summary>
    Fail = 0,

    /// <summary>The run waits for <c>policy</c>; a resume decides again.</summary>
    Wait = 1,
}
