using System.Text.Json;

namespace Soma.Tools.Registry;

/// <summary>A tool the model can call: a name, a description and a JSON Schema for its arguments.</summary>
public interface ITool
{
    /// <summary>The registered name, e.g. <c>time.now</c>.</summary>
    string Name { get; }

    /// <summary>What the tool does, for the model.</summary>
    string Description { get; }

    /// <summary>The JSON Schema (an object schema) of the arguments.</summary>
    JsonElement ParametersSchema { get; }

    /// <summary>How much harm a call could do (<c>low</c>, <c>medium</c>, <c>high</c>), for the policy to weigh.</summary>
    string Risk => "low";

    /// <summary>Whether the tool runs inside a sandbox (the policy may require one).</summary>
    bool Sandboxed => false;

    /// <summary>Runs the tool. Bad arguments are a <see cref="ToolResult.Failed"/> result the model can read, not an exception.</summary>
    ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken);
}

/// <summary>Who calls a tool, and when.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="SessionId">The session of the turn.</param>
/// <param name="RunId">The run of the turn.</param>
/// <param name="Now">The time of the call (from the run's clock).</param>
public sealed record ToolContext(string TenantId, Guid SessionId, Guid RunId, DateTimeOffset Now)
{
    /// <summary>Where a tool streams its output as it comes (the UI's tool block); the returned result still carries all of it.</summary>
    public IToolOutput Output { get; init; } = IToolOutput.Discard;

    /// <summary>What the policy attached to its allow (e.g. <c>{"egress": {"hosts": ["api.example.com"]}}</c>), or null.</summary>
    public JsonElement? Obligations { get; init; }
}

/// <summary>Where a tool writes output progressively.</summary>
public interface IToolOutput
{
    /// <summary>An output that drops what it is given.</summary>
    static IToolOutput Discard { get; } = new DiscardOutput();

    /// <summary>Writes the next piece of output.</summary>
    ValueTask WriteAsync(string chunk, CancellationToken cancellationToken);

    private sealed class DiscardOutput : IToolOutput
    {
        public ValueTask WriteAsync(string chunk, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}

/// <summary>What a tool returned.</summary>
/// <param name="Output">The text handed back to the model.</param>
/// <param name="ErrorCode">Null on success; a stable code on failure.</param>
public sealed record ToolResult(string Output, string? ErrorCode = null)
{
    /// <summary>Output was cut (a cap or a timeout): the text is what came before.</summary>
    public bool Truncated { get; init; }

    /// <summary>Where the tool ran.</summary>
    public Soma.Contracts.Events.Sandbox Sandbox { get; init; } = Soma.Contracts.Events.Sandbox.None;

    /// <summary>Requests of a sandboxed call that the egress proxy refused, each as <c>host:port (reason)</c>.</summary>
    public IReadOnlyList<string> EgressRefusals { get; init; } = [];

    /// <summary>Whether the call failed.</summary>
    public bool IsError => ErrorCode is not null;

    /// <summary>A failure the model sees as the tool's output.</summary>
    public static ToolResult Failed(string code, string message) => new(message, code);
}
