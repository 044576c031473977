using Microsoft.CodeAnalysis;

namespace Soma.Contracts.Generators;

/// <summary>
/// What the schema validator generator reports (SOMA101–SOMA105). Each is an error: a schema the generator cannot
/// compile exactly would otherwise be accepted more loosely than JSON Schema says.
/// </summary>
internal static class SchemaDiagnostics
{
    private const string Category = "SomaSchemas";

    public static readonly DiagnosticDescriptor NotJson = new(
        "SOMA101", "A schema file is not JSON",
        "Schema file '{0}' is not JSON: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedKeyword = new(
        "SOMA102", "Unsupported schema keyword",
        "Schema '{0}' uses keyword '{1}' at '{2}', which the compiled validator does not support",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedForm = new(
        "SOMA103", "Unsupported keyword value",
        "Schema '{0}': '{1}' at '{2}' has a value the compiled validator does not support: {3}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnresolvedRef = new(
        "SOMA104", "A $ref does not resolve",
        "Schema '{0}': $ref '{1}' at '{2}' does not resolve to a schema among the schema files",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedPattern = new(
        "SOMA105", "Unsupported pattern",
        "Schema '{0}': pattern '{1}' at '{2}' uses {3}, whose .NET meaning differs from ECMAScript's",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
