namespace Soma.Testing;

/// <summary>How the OPA stand-in misbehaves (besides <see cref="OpaStandIn.Delay"/> and being stopped).</summary>
public enum OpaFault
{
    /// <summary>Answers as OPA would.</summary>
    None,

    /// <summary>500 with OPA's error shape, as on an evaluation error.</summary>
    ServerError,

    /// <summary><c>{}</c>: the query is undefined whatever the policy says.</summary>
    Undefined,

    /// <summary>200 with a body that is not JSON.</summary>
    Malformed,

    /// <summary>200 whose body is cut off by aborting the connection.</summary>
    Cut,
}
