namespace Soma.Policy.Tests.Rego.Conformance;

/// <summary>How a case went.</summary>
public enum ConformanceOutcome
{
    Passed,
    Failed,
    NotSupported,
    SkippedByCorpus,
}
