namespace Soma.Benchmarks;

/// <summary>A benchmark figure that cannot be reported (not finite, no baseline, an event the schema refuses). Not transient: the run is wrong.</summary>
public sealed class InvalidBenchmarkFigureException : Exception
{
    public InvalidBenchmarkFigureException()
    {
    }

    public InvalidBenchmarkFigureException(string message)
        : base(message)
    {
    }

    public InvalidBenchmarkFigureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
