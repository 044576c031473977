using System.Diagnostics;

namespace Soma.Core.Telemetry;

/// <summary>
/// The one registry of SomaAgent's <see cref="ActivitySource"/>s: every span a component starts comes from one of these,
/// so the names an operator filters on (and the host's <c>AddSource("Soma.*")</c>) cannot drift from the code.
/// </summary>
public static class SomaActivitySources
{
    /// <summary>The prefix every SomaAgent activity source shares.</summary>
    public const string Prefix = "Soma.";

    /// <summary>Name of <see cref="Gateway"/>.</summary>
    public const string GatewayName = "Soma.Gateway";

    /// <summary>Name of <see cref="Orchestration"/>.</summary>
    public const string OrchestrationName = "Soma.Orchestration";

    /// <summary>Name of <see cref="Agents"/>.</summary>
    public const string AgentsName = "Soma.Agents";

    /// <summary>Name of <see cref="Tools"/>.</summary>
    public const string ToolsName = "Soma.Tools";

    /// <summary>Name of <see cref="Policy"/>.</summary>
    public const string PolicyName = "Soma.Policy";

    /// <summary>Name of <see cref="Memory"/>.</summary>
    public const string MemoryName = "Soma.Memory";

    /// <summary>Name of <see cref="Messaging"/>.</summary>
    public const string MessagingName = "Soma.Messaging";

    /// <summary>The HTTP API's own spans (the request spans themselves come from ASP.NET Core).</summary>
    public static readonly ActivitySource Gateway = new(GatewayName);

    /// <summary>Runs and their steps.</summary>
    public static readonly ActivitySource Orchestration = new(OrchestrationName);

    /// <summary>Model calls (GenAI semantic conventions).</summary>
    public static readonly ActivitySource Agents = new(AgentsName);

    /// <summary>Tool calls and their sandboxes.</summary>
    public static readonly ActivitySource Tools = new(ToolsName);

    /// <summary>Policy decisions.</summary>
    public static readonly ActivitySource Policy = new(PolicyName);

    /// <summary>The memory client's calls to the memory service.</summary>
    public static readonly ActivitySource Memory = new(MemoryName);

    /// <summary>The outbox relay's publishes to the bus.</summary>
    public static readonly ActivitySource Messaging = new(MessagingName);

    /// <summary>Every source's name, for a host that lists them one by one.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [GatewayName, OrchestrationName, AgentsName, ToolsName, PolicyName, MemoryName, MessagingName];

    /// <summary>
    /// The parent a piece of work continues: the W3C <c>traceparent</c> stored with it (a run, an outbox row), or none
    /// when it is missing or malformed (the work then starts a trace of its own).
    /// </summary>
    public static ActivityContext ParentFrom(string? traceParent) =>
        traceParent is { Length: > 0 } && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;
}
