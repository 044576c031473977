namespace Soma.Orchestration.Runs;

/// <summary>The worker lost the run: another worker took its lease, or the run was changed (cancelled) meanwhile.</summary>
public sealed class RunFencedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RunFencedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RunFencedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RunFencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
