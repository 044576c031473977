using System.Text;
using System.Text.Json;
using Soma.Core.Storage;
using Soma.Tools.Registry;

namespace Soma.Tools.BuiltIn;

/// <summary><c>session.search</c>: finds earlier messages of this session that contain every word of a query.</summary>
public sealed class SessionSearchTool(ISessionStore sessions) : ITool
{
    private const int MaxResults = 20;
    private const int MaxSnippet = 400;

    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"query":{"type":"string","minLength":1,"maxLength":200,"description":"Words that must all appear in the message."},"limit":{"type":"integer","minimum":1,"maximum":20,"description":"At most this many messages (default 5)."}},"required":["query"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "session.search";

    /// <inheritdoc />
    public string Description => "Searches this conversation's earlier messages for ones containing every word of the query; newest first.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = ToolSchemas.RequiredText(arguments, "query", 200, out var error);
        var limit = ToolSchemas.OptionalInt(arguments, "limit", 1, MaxResults, 5, out var limitError);
        if ((error ?? limitError) is { } invalid)
        {
            return invalid;
        }

        var found = await sessions.SearchMessagesAsync(context.TenantId, context.SessionId, query, limit, cancellationToken).ConfigureAwait(false);
        if (found.Count == 0)
        {
            return new ToolResult($"No message of this session contains '{query}'.");
        }

        var text = new StringBuilder();
        foreach (var message in found)
        {
            var snippet = message.Content.Length > MaxSnippet ? message.Content[..MaxSnippet] + "…" : message.Content;
            text.Append('[').Append(message.CreatedAt.UtcDateTime.ToString("u", System.Globalization.CultureInfo.InvariantCulture)).Append("] ")
                .Append(message.Role).Append(": ").Append(snippet).Append('\n');
        }

        return new ToolResult(text.ToString().TrimEnd());
    }
}
