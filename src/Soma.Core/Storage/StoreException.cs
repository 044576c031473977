namespace Soma.Core.Storage;

/// <summary>A store operation failed. <see cref="IsTransient"/> says whether trying again may help.</summary>
public sealed class StoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException) => IsTransient = isTransient;

    /// <summary>Creates a non-transient store exception.</summary>
    public StoreException()
        : this("The store operation failed.", isTransient: false)
    {
    }

    /// <summary>Creates a non-transient store exception.</summary>
    public StoreException(string message)
        : this(message, isTransient: false)
    {
    }

    /// <summary>Creates a non-transient store exception.</summary>
    public StoreException(string message, Exception innerException)
        : this(message, isTransient: false, innerException)
    {
    }

    /// <summary>True when the same operation may succeed if tried again (busy database, lost connection, serialization failure).</summary>
    public bool IsTransient { get; }
}
