using System.Text.RegularExpressions;

namespace Soma.Server.Dev;

/// <summary>
/// One answer of a <see cref="DevModelServer"/>, queued with <see cref="DevModelServer.Enqueue"/>: text, tool calls, or
/// one of the ways a real provider fails (an error status, a slow first byte, a cut or malformed stream).
/// </summary>
public sealed partial record ScriptedResponse
{
    /// <summary>The HTTP status. Default 200; any other sends an OpenAI-style error body (<c>{"error":{…}}</c>) with it.</summary>
    public int StatusCode { get; init; } = 200;

    /// <summary>When set, the answer carries <c>Retry-After</c> with this many seconds (for 429 and 503).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>How long the server waits before sending the response headers. Default: none.</summary>
    public TimeSpan FirstByteDelay { get; init; }

    /// <summary>Pause between streamed chunks; null (the default) uses <see cref="DevModelServerOptions.ChunkDelay"/>.</summary>
    public TimeSpan? ChunkDelay { get; init; }

    /// <summary>The answer's text, one streamed chunk per item; their concatenation is the whole content.</summary>
    public IReadOnlyList<string> TextChunks { get; init; } = [];

    /// <summary>Function calls, after the text; more than one is a parallel tool call.</summary>
    public IReadOnlyList<ScriptedToolCall> ToolCalls { get; init; } = [];

    /// <summary>The reported usage. Default: prompt tokens = words in all messages, completion tokens = chunks sent.</summary>
    public ScriptedUsage? Usage { get; init; }

    /// <summary>
    /// When set, the connection is aborted (no <c>[DONE]</c>, no end of the HTTP body) after this many content and
    /// tool-call chunks (the opening role-only chunk does not count). A non-streaming answer is cut half-way through its body.
    /// </summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>
    /// When set, a <c>data: {not json</c> line follows this many content and tool-call chunks and the stream ends there.
    /// A non-streaming answer's body is then <c>{not json</c>.
    /// </summary>
    public int? MalformedAfterChunks { get; init; }

    /// <summary>The finish reason. Default <c>stop</c>, or <c>tool_calls</c> when there are tool calls.</summary>
    public string? FinishReason { get; init; }

    /// <summary>An answer with this text, streamed one word per chunk (each chunk keeps its leading white space).</summary>
    /// <param name="text">The whole answer.</param>
    public static ScriptedResponse Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new ScriptedResponse { TextChunks = SplitWords(text) };
    }

    /// <summary>An answer that calls these functions (in parallel when more than one).</summary>
    /// <param name="calls">The calls, in order.</param>
    public static ScriptedResponse Tools(params ScriptedToolCall[] calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        return new ScriptedResponse { ToolCalls = calls };
    }

    /// <summary>An OpenAI-style error answer with this status and, for 429 and 503, an optional <c>Retry-After</c>.</summary>
    /// <param name="statusCode">The HTTP status, 400-599.</param>
    /// <param name="retryAfterSeconds">Seconds for <c>Retry-After</c>, if any.</param>
    public static ScriptedResponse Error(int statusCode, int? retryAfterSeconds = null) =>
        new() { StatusCode = statusCode, RetryAfterSeconds = retryAfterSeconds };

    /// <summary>Splits text into word chunks whose concatenation is the text: "a b  c" → "a", " b", "  c".</summary>
    internal static IReadOnlyList<string> SplitWords(string text)
    {
        var chunks = Word().Matches(text).Select(m => m.Value).ToList();
        var covered = chunks.Sum(c => c.Length);
        if (covered < text.Length)
        {
            // Trailing white space (or an all-blank text) rides on the last chunk, so nothing is lost.
            var rest = text[covered..];
            if (chunks.Count == 0)
            {
                chunks.Add(rest);
            }
            else
            {
                chunks[^1] += rest;
            }
        }

        return chunks;
    }

    /// <summary>Throws when a value could not be sent as the real API would.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(StatusCode, 200, nameof(StatusCode));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(StatusCode, 599, nameof(StatusCode));
        if (StatusCode is > 200 and < 400)
        {
            throw new ArgumentOutOfRangeException(nameof(StatusCode), StatusCode, "A scripted answer is 200 or an error status (400-599).");
        }

        if (RetryAfterSeconds is { } retryAfter)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(retryAfter, nameof(RetryAfterSeconds));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(FirstByteDelay, TimeSpan.Zero, nameof(FirstByteDelay));
        if (ChunkDelay is { } chunkDelay)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(chunkDelay, TimeSpan.Zero, nameof(ChunkDelay));
        }

        ArgumentNullException.ThrowIfNull(TextChunks, nameof(TextChunks));
        ArgumentNullException.ThrowIfNull(ToolCalls, nameof(ToolCalls));
        foreach (var call in ToolCalls)
        {
            ArgumentNullException.ThrowIfNull(call, nameof(ToolCalls));
            ArgumentException.ThrowIfNullOrEmpty(call.Id, nameof(ToolCalls));
            ArgumentException.ThrowIfNullOrEmpty(call.Name, nameof(ToolCalls));
            ArgumentNullException.ThrowIfNull(call.ArgumentsJson, nameof(ToolCalls));
        }

        if (CutAfterChunks is { } cut)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cut, nameof(CutAfterChunks));
        }

        if (MalformedAfterChunks is { } malformed)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(malformed, nameof(MalformedAfterChunks));
        }
    }

    [GeneratedRegex(@"\s*\S+")]
    private static partial Regex Word();
}
