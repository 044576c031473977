using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Invocation;

/// <summary>A tool that counts its calls and, when asked, takes its time (for the invoker's timeout).</summary>
internal sealed class SlowTool : ITool
{
    private int _calls;

    public string Name => "test.slow";

    public string Description => "Waits for the given milliseconds.";

    public JsonElement ParametersSchema { get; } = JsonDocument.Parse("""{"type":"object","properties":{"ms":{"type":"integer"}}}""").RootElement.Clone();

    public int Calls => _calls;

    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var ms = arguments.TryGetProperty("ms", out var value) ? value.GetInt32() : 0;
        await Task.Delay(ms, cancellationToken);
        return new ToolResult($"waited {ms} ms");
    }
}
