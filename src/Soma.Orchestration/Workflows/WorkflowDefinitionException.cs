namespace Soma.Orchestration.Workflows;

/// <summary>
/// A workflow definition is invalid; the message names each problem (duplicate id, unknown dependency, cycle, …).
/// Never transient: the definition must be fixed.
/// </summary>
public sealed class WorkflowDefinitionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkflowDefinitionException()
    {
        Problems = [];
    }

    /// <summary>Creates the exception.</summary>
    public WorkflowDefinitionException(string message)
        : base(message)
    {
        Problems = [message];
    }

    /// <summary>Creates the exception.</summary>
    public WorkflowDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Creates the exception for a list of problems found in one definition.</summary>
    public WorkflowDefinitionException(string message, IReadOnlyList<string> problems)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(problems);
        Problems = problems;
    }

    /// <summary>Each problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Always false: retrying does not fix a definition.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Every subsystem exception answers IsTransient on the instance (the house style); this one is always false.")]
    public bool IsTransient => false;
}
