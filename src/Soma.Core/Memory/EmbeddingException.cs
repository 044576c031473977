namespace Soma.Core.Memory;

/// <summary>An embedder could not give vectors: the model failed, timed out or answered something unusable.</summary>
public sealed class EmbeddingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddingException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public EmbeddingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EmbeddingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EmbeddingException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException) => IsTransient = isTransient;

    /// <summary>Whether trying again later may succeed (a timeout, a 5xx, a cut connection), as opposed to input the model refuses.</summary>
    public bool IsTransient { get; }
}
