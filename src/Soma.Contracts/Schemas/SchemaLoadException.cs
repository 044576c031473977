namespace Soma.Contracts.Schemas;

/// <summary>A schema file could not be read or compiled; the message names the file.</summary>
public sealed class SchemaLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchemaLoadException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SchemaLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SchemaLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
