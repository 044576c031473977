namespace Soma.Tools.Http;

/// <summary>Thrown from the connect step when every address of a host is refused; the fetch reports it as a refusal.</summary>
internal sealed class EgressRefusedException(string reason) : Exception(reason)
{
    /// <summary>Never: the same address is refused again.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Every subsystem exception answers IsTransient on the instance (the house style); this one is always false.")]
    public bool IsTransient => false;
}
