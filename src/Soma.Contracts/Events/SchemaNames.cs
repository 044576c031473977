namespace Soma.Contracts.Events;

/// <summary>The schema names, so code does not repeat the literals.</summary>
public static class SchemaNames
{
    /// <summary><c>envelope.v1</c>.</summary>
    public const string Envelope = "envelope.v1";

    /// <summary><c>agent.runs.v1</c>.</summary>
    public const string Runs = "agent.runs.v1";

    /// <summary><c>agent.steps.v1</c>.</summary>
    public const string Steps = "agent.steps.v1";

    /// <summary><c>agent.tools.v1</c>.</summary>
    public const string Tools = "agent.tools.v1";

    /// <summary><c>agent.audit.v1</c>.</summary>
    public const string Audit = "agent.audit.v1";

    /// <summary><c>conversation.v1</c>.</summary>
    public const string Conversation = "conversation.v1";

    /// <summary><c>memory.v1</c>.</summary>
    public const string Memory = "memory.v1";

    /// <summary><c>agent.benchmarks.v1</c>.</summary>
    public const string Benchmarks = "agent.benchmarks.v1";
}
