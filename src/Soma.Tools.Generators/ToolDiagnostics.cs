using Microsoft.CodeAnalysis;

namespace Soma.Tools.Generators;

/// <summary>What the tools generator reports (SOMA001–SOMA009); docs/tools.md lists them.</summary>
internal static class ToolDiagnostics
{
    private const string Category = "SomaTools";

    public static readonly DiagnosticDescriptor UnsupportedParameter = new(
        "SOMA001", "Unsupported tool parameter type",
        "Parameter '{0}' of tool '{1}' has type '{2}', which a tool cannot take: use string, bool, int, long, double, decimal, an enum, an array or list of those, ToolContext or CancellationToken",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingSummary = new(
        "SOMA002", "A tool needs a summary",
        "Tool '{0}' has no <summary> doc comment: the summary is the description the model reads (build with GenerateDocumentationFile so the compiler keeps doc comments)",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateName = new(
        "SOMA003", "Two tools have one name",
        "Tool name '{0}' is used by more than one method ({1})",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidName = new(
        "SOMA004", "Invalid tool name",
        "Tool name '{0}' is not valid: a letter, then letters, digits, '_', '.' or '-', at most 64 characters",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedReturn = new(
        "SOMA005", "Unsupported tool return type",
        "Tool '{0}' returns '{1}': return string, ToolResult, Task or ValueTask of either, or IAsyncEnumerable<string> for a streaming tool",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = new(
        "SOMA006", "A tool's type must be partial and not generic",
        "Tool '{0}': {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidRisk = new(
        "SOMA007", "Invalid tool risk",
        "Tool '{0}' has risk '{1}': use low, medium or high",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingParamDoc = new(
        "SOMA008", "A tool parameter needs a description",
        "Parameter '{0}' of tool '{1}' has no <param> doc comment: the model reads it to fill the argument",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ConstraintIgnored = new(
        "SOMA009", "A constraint does not apply",
        "[{0}] on parameter '{1}' of tool '{2}' does not apply to its type '{3}'",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
}
