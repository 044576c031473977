using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Testing.Tools;

/// <summary>
/// <c>test.count</c>: a streaming tool for tests and demos that writes <c>line 1</c> … <c>line N</c>, one line per chunk.
/// <c>delay_ms</c> waits between lines (for a demo to watch); <c>hold_after</c> stops after that many lines until the
/// test calls <see cref="Release"/>, so a test can act mid-output (reconnect, reload) without relying on timing.
/// Register it with <c>services.AddSingleton&lt;ITool&gt;(tool)</c>; policy must grant it (the admin role does).
/// </summary>
public sealed class CountTool : StreamingTool
{
    /// <summary>The registered name.</summary>
    public const string ToolName = "test.count";

    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    /// <inheritdoc />
    public override string Name => ToolName;

    /// <inheritdoc />
    public override string Description => "Counts from 1 to count, one line per output chunk (a test tool).";

    /// <inheritdoc />
    public override JsonElement ParametersSchema { get; } = JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 100000, "description": "How many lines."},
            "delay_ms": {"type": "integer", "minimum": 0, "maximum": 60000, "description": "Milliseconds between lines."},
            "hold_after": {"type": "integer", "minimum": 0, "description": "Stop after this many lines until the test releases the tool."}
          },
          "required": ["count"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    /// <summary>How many calls started.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The text a call with <paramref name="count"/> lines returns.</summary>
    public static string Expected(int count) => string.Concat(Enumerable.Range(1, count).Select(Line));

    /// <summary>Lets every call held so far go on (a call that reaches its hold later waits for the next release).</summary>
    public void Release() => Interlocked.Exchange(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <inheritdoc />
    protected override async IAsyncEnumerable<string> StreamAsync(JsonElement arguments, ToolContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Taken before the first line: a release that follows a line the test saw always reaches this call.
        var gate = Volatile.Read(ref _gate).Task;
        Interlocked.Increment(ref _calls);
        var count = Int(arguments, "count") ?? throw new ToolFailureException("tool.invalid_arguments", "count is required.");
        var delay = TimeSpan.FromMilliseconds(Int(arguments, "delay_ms") ?? 0);
        var holdAfter = Int(arguments, "hold_after");
        for (var i = 1; i <= count; i++)
        {
            if (i > 1 && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }

            yield return Line(i);
            if (i == holdAfter)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string Line(int i) => string.Create(CultureInfo.InvariantCulture, $"line {i}\n");

    private static int? Int(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : null;
}
