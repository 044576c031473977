using System.Text;
using System.Text.Json;

namespace Soma.Server.Dev;

/// <summary>A parsed <c>POST /v1/chat/completions</c> body.</summary>
internal sealed record IncomingChat(string Model, bool Stream, bool IncludeUsage, IReadOnlyList<IncomingMessage> Messages, IReadOnlyList<string> ToolNames)
{
    /// <summary>Reads a request body as the real API does; <paramref name="error"/> says what is wrong when it cannot.</summary>
    public static IncomingChat? Parse(string body, out ApiError? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            error = ApiError.Invalid("We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = ApiError.Invalid("We could not parse the JSON body of your request. The OpenAI API expects a JSON object.");
                return null;
            }

            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 } modelId)
            {
                error = ApiError.Invalid("you must provide a model parameter");
                return null;
            }

            if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
            {
                error = ApiError.Invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
                return null;
            }

            if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            {
                error = ApiError.Invalid("Invalid 'messages': expected an array with minimum length 1.", "messages", "empty_array");
                return null;
            }

            var list = new List<IncomingMessage>();
            foreach (var message in messages.EnumerateArray())
            {
                var index = list.Count;
                if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                {
                    error = ApiError.Invalid($"Missing required parameter: 'messages[{index}].role'.", $"messages[{index}].role", "missing_required_parameter");
                    return null;
                }

                list.Add(new IncomingMessage(role.GetString()!, message.TryGetProperty("content", out var content) ? TextOf(content) : string.Empty));
            }

            var tools = new List<string>();
            if (root.TryGetProperty("tools", out var toolArray) && toolArray.ValueKind == JsonValueKind.Array)
            {
                foreach (var tool in toolArray.EnumerateArray())
                {
                    if (tool.ValueKind == JsonValueKind.Object
                        && tool.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
                        && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    {
                        tools.Add(name.GetString()!);
                    }
                }
            }

            var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var includeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
            error = null;
            return new IncomingChat(modelId, stream, includeUsage, list, tools);
        }
    }

    /// <summary>Words in every message, the default prompt token count.</summary>
    public int CountWords() => Messages.Sum(m => m.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);

    // Content is a string, or an array of parts of which the text parts count.
    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                text.Append(t.GetString());
            }
        }

        return text.ToString();
    }
}
