using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Soma.Server.Dev;

/// <summary>
/// The answer when no script is queued: deterministic, driven by the conversation, so a newcomer sees streaming and
/// tool calls and a UI test can script failures with <see cref="DemoDirectives"/> in the message it types.
/// </summary>
internal static partial class DemoModel
{
    public const string TimeTool = "time.now";
    public const string MathTool = "math.evaluate";
    public const string SearchTool = "session.search";

    public static ScriptedResponse Answer(IncomingChat chat, Func<string> nextCallId)
    {
        var toolResults = chat.Messages.Reverse().TakeWhile(m => m.Role == "tool").Reverse().ToList();
        if (toolResults.Count > 0)
        {
            return ScriptedResponse.Text(toolResults.Count == 1
                ? $"The tool answered: {Shown(toolResults[0].Text)}."
                : $"The tools answered: {string.Join("; ", toolResults.Select(m => Shown(m.Text)))}.");
        }

        var directives = DemoDirectives.Parse(chat.Messages.LastOrDefault(m => m.Role == "user")?.Text ?? string.Empty);
        var text = directives.Text;
        ScriptedResponse answer;
        if (directives.ToolCalls.Count > 0)
        {
            answer = DirectedToolCalls(directives.ToolCalls, chat.ToolNames, nextCallId);
        }
        else if (directives.Words is { } words)
        {
            answer = ScriptedResponse.Text(string.Join(' ', Enumerable.Range(1, words).Select(i => string.Create(CultureInfo.InvariantCulture, $"w{i}"))));
        }
        else if (ToolCalls(text, chat.ToolNames, nextCallId) is { Count: > 0 } calls)
        {
            answer = new ScriptedResponse { ToolCalls = calls };
        }
        else
        {
            answer = ScriptedResponse.Text(text.Length == 0 ? "You said nothing." : $"You said: {text}");
        }

        return directives.ApplyTo(answer);
    }

    // [[tool:NAME {json}]]: exactly those calls, in one round; if any tool is not offered, a text answer that says so.
    private static ScriptedResponse DirectedToolCalls(IReadOnlyList<(string Name, string ArgumentsJson)> directed, IReadOnlyList<string> offered, Func<string> nextCallId)
    {
        var missing = directed.Where(d => Offered(offered, d.Name) is null).Select(d => d.Name).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            return ScriptedResponse.Text(missing.Count == 1
                ? $"I cannot call {missing[0]}: it is not offered to me."
                : $"I cannot call {string.Join(", ", missing)}: they are not offered to me.");
        }

        return new ScriptedResponse { ToolCalls = [.. directed.Select(d => new ScriptedToolCall(nextCallId(), Offered(offered, d.Name)!, d.ArgumentsJson))] };
    }

    // OpenAI function names cannot hold dots, so a tool may be offered as time.now or as time__now (SomaAgent's wire
    // form); the call uses the name as offered.
    private static string? Offered(IReadOnlyList<string> offered, string tool) =>
        offered.FirstOrDefault(o => o == tool || o.Replace("__", ".", StringComparison.Ordinal) == tool);

    private static List<ScriptedToolCall> ToolCalls(string text, IReadOnlyList<string> offered, Func<string> nextCallId)
    {
        string? Offered(string tool) => DemoModel.Offered(offered, tool);
        var calls = new List<ScriptedToolCall>();
        if (Offered(TimeTool) is { } time && Time().IsMatch(text))
        {
            calls.Add(new ScriptedToolCall(nextCallId(), time, "{}"));
        }

        if (Offered(MathTool) is { } mathTool && Math().Match(text) is { Success: true } math
            && math.Groups["expr"].Value.Trim().TrimEnd('.').Trim() is { Length: > 0 } expression)
        {
            calls.Add(new ScriptedToolCall(nextCallId(), mathTool, Arguments("expression", expression)));
        }

        if (Offered(SearchTool) is { } searchTool && Search().Match(text) is { Success: true } search
            && search.Groups["query"].Value.Trim().TrimEnd('.', '?', '!').Trim() is { Length: > 0 } query)
        {
            calls.Add(new ScriptedToolCall(nextCallId(), searchTool, Arguments("query", query)));
        }

        return calls;
    }

    private static string Arguments(string name, string value) => OpenAiWire.Serialize(new JsonObject { [name] = value });

    private static string Shown(string content) => content.Trim() is { Length: > 0 } trimmed ? trimmed : "(nothing)";

    [GeneratedRegex(@"\btime\b", RegexOptions.IgnoreCase)]
    private static partial Regex Time();

    // An arithmetic expression: digits, white space, + - * / ^ ( ) . % with at least one digit.
    [GeneratedRegex(@"\b(?:calculate|what\s+is)\s+(?<expr>[\d\s+\-*/^().%]*\d[\d\s+\-*/^().%]*)", RegexOptions.IgnoreCase)]
    private static partial Regex Math();

    [GeneratedRegex(@"\bsearch\s+(?:for\s+)?(?<query>\S.*)", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Search();
}
