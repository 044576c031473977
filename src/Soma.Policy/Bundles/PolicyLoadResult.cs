namespace Soma.Policy.Bundles;

/// <summary>A load: the bundle, or every error found (each naming file:line:column where known), never both.</summary>
/// <param name="Bundle">The bundle, when the load succeeded.</param>
/// <param name="Version">The content's version, even when it failed (so a failed version is not retried until it changes).</param>
/// <param name="Errors">What is wrong; empty on success.</param>
public sealed record PolicyLoadResult(PolicyBundle? Bundle, string Version, IReadOnlyList<string> Errors)
{
    /// <summary>Whether the load succeeded.</summary>
    public bool Succeeded => Bundle is not null;
}
