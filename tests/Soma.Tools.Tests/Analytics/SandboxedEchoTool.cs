using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Analytics;

/// <summary>A tool that says it ran in bubblewrap and echoes its text, so the analytics see a sandbox and a byte count.</summary>
internal sealed class SandboxedEchoTool : ITool
{
    public string Name => "test.echo";

    public string Description => "Echoes the text.";

    public JsonElement ParametersSchema { get; } = JsonDocument.Parse("""{"type":"object","properties":{"text":{"type":"string"}}}""").RootElement.Clone();

    public bool Sandboxed => true;

    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ToolResult(arguments.GetProperty("text").GetString()!) { Sandbox = Soma.Contracts.Events.Sandbox.Bubblewrap });
}
