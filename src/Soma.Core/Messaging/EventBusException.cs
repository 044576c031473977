namespace Soma.Core.Messaging;

/// <summary>A bus operation failed. <see cref="IsTransient"/> says whether trying again may help.</summary>
public sealed class EventBusException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventBusException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException) => IsTransient = isTransient;

    /// <summary>Creates a non-transient bus exception.</summary>
    public EventBusException()
        : this("The event bus operation failed.", isTransient: false)
    {
    }

    /// <summary>Creates a non-transient bus exception.</summary>
    public EventBusException(string message)
        : this(message, isTransient: false)
    {
    }

    /// <summary>Creates a non-transient bus exception.</summary>
    public EventBusException(string message, Exception innerException)
        : this(message, isTransient: false, innerException)
    {
    }

    /// <summary>True when the same operation may succeed if tried again (bus down, timeout, no stream leader yet).</summary>
    public bool IsTransient { get; }
}
