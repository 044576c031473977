using System.Text;
using System.Text.Json;

namespace Soma.Tools.Registry;

/// <summary>
/// A tool whose output comes progressively: each chunk it yields goes to <see cref="ToolContext.Output"/> as it comes
/// (the UI shows it), and the result is all chunks joined. A failure mid-stream is a <see cref="ToolFailureException"/>: the
/// output so far is kept with it.
/// </summary>
public abstract class StreamingTool : ITool
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <inheritdoc />
    public abstract JsonElement ParametersSchema { get; }

    /// <inheritdoc />
    public virtual string Risk => "low";

    /// <inheritdoc />
    public virtual bool Sandboxed => false;

    /// <summary>Yields the output, piece by piece.</summary>
    protected abstract IAsyncEnumerable<string> StreamAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var output = new StringBuilder();
        try
        {
            await foreach (var chunk in StreamAsync(arguments, context, cancellationToken).ConfigureAwait(false))
            {
                if (chunk.Length == 0)
                {
                    continue;
                }

                output.Append(chunk);
                await context.Output.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ToolFailureException failure)
        {
            var text = output.Length == 0 ? failure.Message : output.Append('\n').Append(failure.Message).ToString();
            return ToolResult.Failed(failure.Code, text) with { Truncated = failure.Truncated };
        }

        return new ToolResult(output.ToString());
    }
}

/// <summary>A tool's failure the model sees: a stable code and a message naming the problem.</summary>
/// <param name="code">The code, e.g. <c>tool.invalid_arguments</c>.</param>
/// <param name="message">What went wrong.</param>
public sealed class ToolFailureException(string code, string message) : Exception(message)
{
    /// <summary>The stable code.</summary>
    public string Code { get; } = code;

    /// <summary>Whether the output before the failure was cut short.</summary>
    public bool Truncated { get; init; }
}
