namespace Soma.Memory.Service;

/// <summary>
/// A memory the request refers to does not exist for the tenant (answered 404 with <c>{"detail": …}</c>), e.g. the
/// source of a link. Retrying helps only once the memory has been remembered.
/// </summary>
public sealed class MemoryNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MemoryNotFoundException()
        : this("The memory does not exist.")
    {
    }

    /// <summary>Creates the exception; <paramref name="message"/> is shown to the caller.</summary>
    public MemoryNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MemoryNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Always false: the same request fails the same way until the memory exists.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Every subsystem exception answers IsTransient on the instance (the house style); this one is always false.")]
    public bool IsTransient => false;
}
