namespace Soma.Gateway.Auth.Keys;

/// <summary>Where a <see cref="KeyRing"/> is read from.</summary>
public interface IKeySource
{
    /// <summary>The source's name in health and logs (<c>data-dir</c>, <c>directory</c>, <c>vault</c>, <c>key-file</c>).</summary>
    string Name { get; }

    /// <summary>A folder whose changes should wake a reload, or null.</summary>
    string? WatchedFolder { get; }

    /// <summary>
    /// The one file of <see cref="WatchedFolder"/> whose changes matter, or null for every file of it. A source that
    /// names its file shares the folder with busy files (the data directory, with the database and its log): only that
    /// file's creation, removal and renames wake a reload (the ring is replaced by a rename; an edit in place is read at
    /// the next poll), so the database's writes raise no file events at all.
    /// </summary>
    string? WatchedFile => null;

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
