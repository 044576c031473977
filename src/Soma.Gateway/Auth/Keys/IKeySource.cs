namespace Soma.Gateway.Auth.Keys;

/// <summary>Where a <see cref="KeyRing"/> is read from.</summary>
public interface IKeySource
{
    /// <summary>The source's name in health and logs (<c>data-dir</c>, <c>directory</c>, <c>vault</c>, <c>key-file</c>).</summary>
    string Name { get; }

    /// <summary>A folder whose changes should wake a reload, or null.</summary>
    string? WatchedFolder { get; }

    /// <summary>Reads the ring now.</summary>
    /// <exception cref="KeySourceException">The source cannot be read or holds a wrong key; the message names where, never a secret.</exception>
    Task<KeyRing> LoadAsync(CancellationToken cancellationToken = default);
}

/// <summary>A key source failed; the message says where and why, never a secret.</summary>
public sealed class KeySourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeySourceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeySourceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeySourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when trying again later may help (Vault sealed, unreachable, slow).</summary>
    public bool IsTransient { get; init; }
}
