namespace Soma.Policy.Rego;

/// <summary>
/// A policy that cannot be parsed, compiled or evaluated: the message names the problem and, where known, the place
/// (<c>file:line:column</c>). Evaluation errors (a builtin given the wrong type, a conflict between rule values,
/// division by zero) are never transient: the same policy and input fail the same way.
/// </summary>
public sealed class RegoException : Exception
{
    /// <summary>An error with a message and an optional place.</summary>
    public RegoException(string message, SourceLocation? location = null)
        : base(location is null ? message : $"{location}: {message}")
    {
        Detail = message;
        Location = location;
    }

    /// <summary>The message without the place.</summary>
    public string Detail { get; }

    /// <summary>Where, when known.</summary>
    public SourceLocation? Location { get; }
}
