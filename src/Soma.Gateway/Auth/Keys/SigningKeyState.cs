namespace Soma.Gateway.Auth.Keys;

/// <summary>What a key of the ring may do at a given moment (computed from its declared state and its dates).</summary>
public enum SigningKeyState
{
    /// <summary>Verifies tokens but does not sign yet: every process learns it before tokens signed by it appear.</summary>
    Pending,

    /// <summary>The signer: new tokens are signed with it (exactly one key of a ring at a time).</summary>
    Active,

    /// <summary>A former signer: still verifies tokens it signed until it is retired.</summary>
    Previous,

    /// <summary>Not accepted any more; a token naming it gets 401 <c>token.key_retired</c>.</summary>
    Retired,
}
