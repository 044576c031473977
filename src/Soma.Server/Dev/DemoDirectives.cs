using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Soma.Server.Dev;

/// <summary>
/// The <c>[[…]]</c> directives a user message may carry to script the demo answer without code:
/// <c>[[status:500]]</c>, <c>[[status:429 retry-after=1]]</c>, <c>[[delay:300]]</c> (first byte, ms),
/// <c>[[chunk-delay:50]]</c> (ms), <c>[[cut]]</c> / <c>[[cut:N]]</c>, <c>[[malformed]]</c> / <c>[[malformed:N]]</c>
/// (after 2, or N, chunks), <c>[[words:N]]</c> and <c>[[tool:NAME {json arguments}]]</c> (call that tool with those
/// arguments; the JSON may hold spaces, nested braces and brackets; without arguments, <c>{}</c>). A directive with a
/// value it cannot use stays in the text.
/// </summary>
internal sealed partial class DemoDirectives
{
    private const int DefaultBreakAfterChunks = 2;
    private const int MaxMilliseconds = 600_000;
    private const int MaxWords = 100_000;
    private const string ToolPrefix = "[[tool:";

    private readonly List<(string Name, string ArgumentsJson)> _toolCalls = [];

    public int? StatusCode { get; private set; }

    public int? RetryAfterSeconds { get; private set; }

    public TimeSpan? FirstByteDelay { get; private set; }

    public TimeSpan? ChunkDelay { get; private set; }

    public int? CutAfterChunks { get; private set; }

    public int? MalformedAfterChunks { get; private set; }

    public int? Words { get; private set; }

    /// <summary>The tool calls asked for with <c>[[tool:…]]</c>, in order.</summary>
    public IReadOnlyList<(string Name, string ArgumentsJson)> ToolCalls => _toolCalls;

    /// <summary>The message without its directives, white space tidied.</summary>
    public string Text { get; private set; } = string.Empty;

    public static DemoDirectives Parse(string message)
    {
        var directives = new DemoDirectives();
        var text = Directive().Replace(directives.TakeToolCalls(message), match =>
            directives.TryApply(match.Groups["name"].Value.ToLowerInvariant(), match.Groups["value"].Success ? match.Groups["value"].Value.Trim() : null)
                ? " "
                : match.Value);
        directives.Text = Spaces().Replace(text, " ").Trim();
        return directives;
    }

    /// <summary>The answer with the directives' failure modes and timings applied.</summary>
    public ScriptedResponse ApplyTo(ScriptedResponse response) => response with
    {
        StatusCode = StatusCode ?? response.StatusCode,
        RetryAfterSeconds = RetryAfterSeconds ?? response.RetryAfterSeconds,
        FirstByteDelay = FirstByteDelay ?? response.FirstByteDelay,
        ChunkDelay = ChunkDelay ?? response.ChunkDelay,
        CutAfterChunks = CutAfterChunks ?? response.CutAfterChunks,
        MalformedAfterChunks = MalformedAfterChunks ?? response.MalformedAfterChunks,
    };

    private bool TryApply(string name, string? value)
    {
        switch (name)
        {
            case "status" when value is not null && StatusValue().Match(value) is { Success: true } status
                && Int(status.Groups["code"].Value) is { } code and (200 or (>= 400 and <= 599)):
                StatusCode = code;
                RetryAfterSeconds = status.Groups["retry"].Success ? Int(status.Groups["retry"].Value) : RetryAfterSeconds;
                return true;
            case "delay" when Milliseconds(value) is { } delay:
                FirstByteDelay = delay;
                return true;
            case "chunk-delay" when Milliseconds(value) is { } delay:
                ChunkDelay = delay;
                return true;
            case "cut" when Count(value, DefaultBreakAfterChunks) is { } after:
                CutAfterChunks = after;
                return true;
            case "malformed" when Count(value, DefaultBreakAfterChunks) is { } after:
                MalformedAfterChunks = after;
                return true;
            case "words" when Count(value, null) is { } words and > 0 and <= MaxWords:
                Words = words;
                return true;
            default:
                return false;
        }
    }

    // [[tool:NAME {json}]] is scanned by hand: its JSON may hold "]]", brackets and braces that no regular expression
    // of the other directives can balance. A malformed one stays in the text.
    private string TakeToolCalls(string message)
    {
        var text = new StringBuilder(message.Length);
        var at = 0;
        while (true)
        {
            var start = message.IndexOf(ToolPrefix, at, StringComparison.OrdinalIgnoreCase);
            if (start < 0)
            {
                return text.Append(message, at, message.Length - at).ToString();
            }

            text.Append(message, at, start - at);
            if (TryReadToolCall(message, start + ToolPrefix.Length, out var call, out var end))
            {
                _toolCalls.Add(call);
                text.Append(' ');
                at = end;
            }
            else
            {
                text.Append(ToolPrefix);
                at = start + ToolPrefix.Length;
            }
        }
    }

    private static bool TryReadToolCall(string message, int at, out (string Name, string ArgumentsJson) call, out int end)
    {
        call = default;
        end = at;
        var name = ToolName().Match(message, at);
        if (!name.Success)
        {
            return false;
        }

        var i = SkipSpaces(message, at + name.Length);
        var arguments = "{}";
        if (i < message.Length && message[i] == '{')
        {
            if (JsonObjectEnd(message, i) is not { } close)
            {
                return false;
            }

            arguments = message[i..close];
            try
            {
                if (JsonNode.Parse(arguments) is not JsonObject)
                {
                    return false;
                }
            }
            catch (JsonException)
            {
                return false;
            }

            i = SkipSpaces(message, close);
        }

        if (string.CompareOrdinal(message, i, "]]", 0, 2) != 0)
        {
            return false;
        }

        call = (name.Groups["name"].Value, arguments);
        end = i + 2;
        return true;
    }

    // The index just past the '}' that closes the '{' at start (strings and escapes respected), or null.
    private static int? JsonObjectEnd(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']' && --depth == 0)
            {
                return c == '}' ? i + 1 : null;
            }
        }

        return null;
    }

    private static int SkipSpaces(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int? Int(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static TimeSpan? Milliseconds(string? value) =>
        value is not null && Int(value) is { } ms and <= MaxMilliseconds ? TimeSpan.FromMilliseconds(ms) : null;

    private static int? Count(string? value, int? whenAbsent) => value is null ? whenAbsent : Int(value);

    [GeneratedRegex(@"\[\[\s*(?<name>[a-zA-Z][a-zA-Z-]*)\s*(?::(?<value>[^\]]*))?\]\]")]
    private static partial Regex Directive();

    [GeneratedRegex(@"^(?<code>\d{3})(?:\s+retry-after\s*=\s*(?<retry>\d+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex StatusValue();

    [GeneratedRegex(@"\G\s*(?<name>[A-Za-z][A-Za-z0-9_.-]{0,63})")]
    private static partial Regex ToolName();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex Spaces();
}
