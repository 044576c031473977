namespace Soma.Orchestration.Checkpoints;

/// <summary>A stored checkpoint cannot be read: a format version this build does not know, or corrupted content.</summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointFormatException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CheckpointFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CheckpointFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a stored format version.</summary>
    public CheckpointFormatException(string message, int storedFormatVersion, Exception? innerException = null)
        : base(message, innerException) => StoredFormatVersion = storedFormatVersion;

    /// <summary>The format version of the stored checkpoint.</summary>
    public int StoredFormatVersion { get; }
}
