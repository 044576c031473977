using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Soma.Server.Dev;

/// <summary>The JSON shapes of the OpenAI Chat Completions API, as the real service writes them.</summary>
internal static class OpenAiWire
{
    public const string Done = "[DONE]";

    public const string Malformed = "{not json";

    private const string Fingerprint = "fp_soma_dev";

    // Readable on the wire (curl users see "2 + 3", not "2 \u002B 3"); the bodies are JSON and SSE, never HTML.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(JsonNode node) => node.ToJsonString(Relaxed);

    public static string Error(ApiError error) => new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["message"] = error.Message,
            ["type"] = error.Type,
            ["param"] = error.Param,
            ["code"] = error.Code,
        },
    }.ToJsonString(Relaxed);

    public static string Models(IEnumerable<string> models, long created) => new JsonObject
    {
        ["object"] = "list",
        ["data"] = new JsonArray([.. models.Select(id => (JsonNode)new JsonObject
        {
            ["id"] = id,
            ["object"] = "model",
            ["created"] = created,
            ["owned_by"] = "soma-dev",
        })]),
    }.ToJsonString(Relaxed);

    /// <summary>A whole <c>chat.completion</c> object (the non-streaming answer).</summary>
    public static string Completion(CompletionHeader header, string? text, IReadOnlyList<ScriptedToolCall> toolCalls, string finishReason, ScriptedUsage usage)
    {
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text,
            ["refusal"] = null,
        };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. toolCalls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson },
            })]);
        }

        var completion = Envelope(header, "chat.completion");
        completion["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = message,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        completion["usage"] = Usage(usage);
        return completion.ToJsonString(Relaxed);
    }

    /// <summary>One <c>chat.completion.chunk</c> with a delta (content, role or tool-call fragments) and maybe a finish reason.</summary>
    public static string Chunk(CompletionHeader header, JsonObject delta, string? finishReason, bool withUsageField)
    {
        var chunk = Envelope(header, "chat.completion.chunk");
        chunk["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        if (withUsageField)
        {
            // With stream_options.include_usage the real API sends "usage": null on every chunk but the last.
            chunk["usage"] = null;
        }

        return chunk.ToJsonString(Relaxed);
    }

    /// <summary>The last chunk when usage was asked for: no choices, only usage.</summary>
    public static string UsageChunk(CompletionHeader header, ScriptedUsage usage)
    {
        var chunk = Envelope(header, "chat.completion.chunk");
        chunk["choices"] = new JsonArray();
        chunk["usage"] = Usage(usage);
        return chunk.ToJsonString(Relaxed);
    }

    public static JsonObject RoleDelta(bool withEmptyContent) => new()
    {
        ["role"] = "assistant",
        ["content"] = withEmptyContent ? string.Empty : null,
        ["refusal"] = null,
    };

    public static JsonObject ContentDelta(string text) => new() { ["content"] = text };

    /// <summary>
    /// The first fragment of a streamed tool call: index, id, type and name, with empty arguments; when it opens the
    /// answer it also carries the role, as the real API's first chunk does.
    /// </summary>
    public static JsonObject ToolCallStart(int index, ScriptedToolCall call, bool opensAnswer)
    {
        var delta = opensAnswer ? RoleDelta(withEmptyContent: false) : [];
        delta["tool_calls"] = new JsonArray(new JsonObject
        {
            ["index"] = index,
            ["id"] = call.Id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = string.Empty },
        });
        return delta;
    }

    /// <summary>A following fragment of a streamed tool call: its index and a piece of the arguments text.</summary>
    public static JsonObject ToolCallArguments(int index, string fragment) => new()
    {
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["index"] = index,
            ["function"] = new JsonObject { ["arguments"] = fragment },
        }),
    };

    private static JsonObject Envelope(CompletionHeader header, string kind) => new()
    {
        ["id"] = header.Id,
        ["object"] = kind,
        ["created"] = header.Created,
        ["model"] = header.Model,
        ["system_fingerprint"] = Fingerprint,
    };

    private static JsonObject Usage(ScriptedUsage usage) => new()
    {
        ["prompt_tokens"] = usage.PromptTokens,
        ["completion_tokens"] = usage.CompletionTokens,
        ["total_tokens"] = usage.PromptTokens + usage.CompletionTokens,
    };
}
