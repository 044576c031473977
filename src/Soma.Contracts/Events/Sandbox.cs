namespace Soma.Contracts.Events;

/// <summary>Where a tool ran.</summary>
public enum Sandbox
{
    /// <summary>Not sandboxed.</summary>
    None,

    /// <summary>In a bubblewrap sandbox.</summary>
    Bubblewrap,

    /// <summary>In a gVisor sandbox.</summary>
    Gvisor,
}
