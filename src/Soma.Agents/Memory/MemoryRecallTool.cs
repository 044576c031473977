using System.Globalization;
using System.Text;
using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Cache;
using Soma.Memory.WriteThrough;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Soma.Agents.Memory;

/// <summary>
/// <c>memory.recall</c>: searches the tenant's long-term memory (every conversation's messages, answers, tool outputs
/// and saved notes) through the recall cache, like the turn's own recall. When the memory service cannot answer the
/// tool says so instead of failing the turn.
/// </summary>
public sealed class MemoryRecallTool(MemoryRecaller recaller, MemoryWriteThrough memory) : ITool
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "memory.recall";

    private const int MaxSnippet = 500;

    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"query":{"type":"string","minLength":1,"maxLength":1000,"description":"What to look for, in plain words."},"top_k":{"type":"integer","minimum":1,"maximum":20,"description":"At most this many memories (default 5)."}},"required":["query"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => ToolName;

    /// <inheritdoc />
    public string Description => "Searches long-term memory (earlier conversations, answers, tool outputs and saved notes) for what matches the query; best matches first.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = ToolSchemas.RequiredText(arguments, "query", 1000, out var error);
        var topK = ToolSchemas.OptionalInt(arguments, "top_k", 1, 20, 5, out var topKError);
        if ((error ?? topKError) is { } invalid)
        {
            return invalid;
        }

        RecallResponse found;
        try
        {
            found = await recaller.RecallAsync(new RecallRequest(query, context.TenantId, memory.Namespace, topK), cancellationToken).ConfigureAwait(false);
        }
        catch (MemoryBackendException)
        {
            // The service's own error text stays in the logs: it may name addresses or internals.
            return ToolResult.Failed("memory.unavailable", "Long-term memory cannot be searched right now; try again later.");
        }

        if (found.Results.Count == 0)
        {
            return new ToolResult($"Nothing in memory matches '{query}'.");
        }

        var text = new StringBuilder();
        foreach (var result in found.Results)
        {
            var body = MemoryValues.Text(result.Value);
            text.Append(CultureInfo.InvariantCulture, $"[{result.Score:0.00}] {MemoryValues.Role(result.Value)}: ")
                .Append(body.Length > MaxSnippet ? body[..MaxSnippet] + "…" : body).Append('\n');
        }

        return new ToolResult(text.ToString().TrimEnd());
    }
}
