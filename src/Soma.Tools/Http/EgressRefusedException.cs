namespace Soma.Tools.Http;

/// <summary>Thrown from the connect step when every address of a host is refused; the fetch reports it as a refusal.</summary>
internal sealed class EgressRefusedException(string reason) : Exception(reason)
{
    /// <summary>Never: the same address is refused again.</summary>
    public bool IsTransient => false;
}
