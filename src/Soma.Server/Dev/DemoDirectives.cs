using System.Globalization;
using System.Text.RegularExpressions;

namespace Soma.Server.Dev;

/// <summary>
/// The <c>[[…]]</c> directives a user message may carry to script the demo answer without code:
/// <c>[[status:500]]</c>, <c>[[status:429 retry-after=1]]</c>, <c>[[delay:300]]</c> (first byte, ms),
/// <c>[[chunk-delay:50]]</c> (ms), <c>[[cut]]</c> / <c>[[cut:N]]</c>, <c>[[malformed]]</c> / <c>[[malformed:N]]</c>
/// (after 2, or N, chunks) and <c>[[words:N]]</c>. A directive with a value it cannot use stays in the text.
/// </summary>
internal sealed partial class DemoDirectives
{
    private const int DefaultBreakAfterChunks = 2;
    private const int MaxMilliseconds = 600_000;
    private const int MaxWords = 100_000;

    public int? StatusCode { get; private set; }

    public int? RetryAfterSeconds { get; private set; }

    public TimeSpan? FirstByteDelay { get; private set; }

    public TimeSpan? ChunkDelay { get; private set; }

    public int? CutAfterChunks { get; private set; }

    public int? MalformedAfterChunks { get; private set; }

    public int? Words { get; private set; }

    /// <summary>The message without its directives, white space tidied.</summary>
    public string Text { get; private set; } = string.Empty;

    public static DemoDirectives Parse(string message)
    {
        var directives = new DemoDirectives();
        var text = Directive().Replace(message, match =>
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

    private static int? Int(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static TimeSpan? Milliseconds(string? value) =>
        value is not null && Int(value) is { } ms and <= MaxMilliseconds ? TimeSpan.FromMilliseconds(ms) : null;

    private static int? Count(string? value, int? whenAbsent) => value is null ? whenAbsent : Int(value);

    [GeneratedRegex(@"\[\[\s*(?<name>[a-zA-Z][a-zA-Z-]*)\s*(?::(?<value>[^\]]*))?\]\]")]
    private static partial Regex Directive();

    [GeneratedRegex(@"^(?<code>\d{3})(?:\s+retry-after\s*=\s*(?<retry>\d+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex StatusValue();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex Spaces();
}
