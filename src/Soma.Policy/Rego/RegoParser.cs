using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego;

/// <summary>Parses Rego modules and queries.</summary>
public static class RegoParser
{
    /// <summary>Parses a module; throws <see cref="RegoException"/> naming <c>file:line:column</c> on a syntax error.</summary>
    public static Module ParseModule(RegoSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new Parser(source.File, source.Text).ParseModule();
    }

    /// <summary>Parses a query (one or more expressions separated by <c>;</c> or new lines).</summary>
    public static Query ParseQuery(string text, string file = "query") => new Parser(file, text).ParseQueryToEnd();
}
