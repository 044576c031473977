namespace Soma.Memory.Service;

/// <summary>
/// A memory request the service refuses as it stands (answered 422 with <c>{"detail": …}</c>). Sending it again
/// unchanged never helps.
/// </summary>
public sealed class MemoryValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MemoryValidationException()
        : this("The memory request is not valid.")
    {
    }

    /// <summary>Creates the exception; <paramref name="message"/> names the field and is shown to the caller.</summary>
    public MemoryValidationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MemoryValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Always false: the request must change before it can succeed.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Every subsystem exception answers IsTransient on the instance (the house style); this one is always false.")]
    public bool IsTransient => false;
}
