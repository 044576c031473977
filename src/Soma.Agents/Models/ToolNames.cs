namespace Soma.Agents.Models;

/// <summary>
/// Tool names on the wire: OpenAI function names allow letters, digits, <c>_</c> and <c>-</c> only, so <c>time.now</c>
/// travels as <c>time__now</c> and comes back as <c>time.now</c>.
/// </summary>
public static class ToolNames
{
    private const string Dot = "__";

    /// <summary>The wire name of a registered tool.</summary>
    public static string ToWire(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Replace(".", Dot, StringComparison.Ordinal);
    }

    /// <summary>The registered name of a wire name.</summary>
    public static string FromWire(string wireName)
    {
        ArgumentNullException.ThrowIfNull(wireName);
        return wireName.Replace(Dot, ".", StringComparison.Ordinal);
    }
}
