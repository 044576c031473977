using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Soma.Tools.Generators;

/// <summary>Reads one <c>[Tool]</c> method into a <see cref="ToolModel"/>: its schema, its binding, and what is wrong with it.</summary>
internal static class ToolParser
{
    public const string ToolContextName = "Soma.Tools.Registry.ToolContext";
    public const string ToolResultName = "Soma.Tools.Registry.ToolResult";
    private const string DataAnnotations = "System.ComponentModel.DataAnnotations.";
    private static readonly Regex ValidName = new("^[A-Za-z][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant);
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static ToolModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || context.Attributes.Length == 0)
        {
            return null;
        }

        var attribute = context.Attributes[0];
        var name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string ?? string.Empty : string.Empty;
        var risk = "low";
        var sandboxed = false;
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "Risk")
            {
                risk = named.Value.Value as string ?? string.Empty;
            }
            else if (named.Key == "Sandboxed" && named.Value.Value is bool b)
            {
                sandboxed = b;
            }
        }

        var location = (context.TargetNode as MethodDeclarationSyntax)?.Identifier.GetLocation() ?? method.Locations.FirstOrDefault();
        var diagnostics = new List<DiagnosticInfo>();
        var display = name.Length == 0 ? method.Name : name;
        if (!ValidName.IsMatch(name))
        {
            diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.InvalidName, location, name));
        }

        if (risk is not ("low" or "medium" or "high"))
        {
            diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.InvalidRisk, location, display, risk));
        }

        var containers = Containers(method, display, location, diagnostics);
        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.NotPartial, location, display, "a tool method cannot be generic"));
        }

        var docs = DocComments.Parse(method.GetDocumentationCommentXml(cancellationToken: cancellationToken));
        var summary = docs.Summary;
        if (summary is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.MissingSummary, location, display));
        }

        var returns = ReturnOf(method.ReturnType);
        if (returns is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.UnsupportedReturn, location, display, method.ReturnType.ToDisplayString()));
        }

        var parameters = new List<ParameterModel>();
        var properties = new List<string>();
        var required = new List<string>();
        foreach (var parameter in method.Parameters)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parameterLocation = parameter.Locations.FirstOrDefault() ?? location;
            var model = ParameterOf(parameter, display, parameterLocation, diagnostics);
            if (model is null)
            {
                continue;
            }

            parameters.Add(model);
            if (model.Source != ParameterSource.Argument)
            {
                continue;
            }

            var description = docs.Param(parameter.Name);
            if (description is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.MissingParamDoc, parameterLocation, parameter.Name, display));
            }

            properties.Add(JsonText.String(parameter.Name) + ":" + PropertySchema(parameter, model, description, display, parameterLocation, diagnostics));
            if (model.Required)
            {
                required.Add(JsonText.String(parameter.Name));
            }
        }

        var schema = new StringBuilder("{\"type\":\"object\",\"properties\":{").Append(string.Join(",", properties)).Append('}');
        if (required.Count > 0)
        {
            schema.Append(",\"required\":[").Append(string.Join(",", required)).Append(']');
        }

        schema.Append(",\"additionalProperties\":false}");
        var text = summary ?? string.Empty;
        if (docs.Returns is { } returned)
        {
            text = text.Length == 0 ? returned : $"{text} Returns: {returned}";
        }

        var container = method.ContainingType;
        return new ToolModel(
            name, risk, sandboxed,
            container.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            EquatableArray.From(containers),
            container.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            method.IsStatic,
            method.Name,
            method.Name + "Tool",
            method.DeclaredAccessibility == Accessibility.Public && IsPublicAll(container),
            text,
            schema.ToString(),
            EquatableArray.From(parameters),
            returns ?? ReturnKind.String,
            LocationInfo.From(location),
            EquatableArray.From(diagnostics));
    }

    private static bool IsPublicAll(INamedTypeSymbol? type)
    {
        for (; type is not null; type = type.ContainingType)
        {
            if (type.DeclaredAccessibility != Accessibility.Public)
            {
                return false;
            }
        }

        return true;
    }

    private static List<ContainerModel> Containers(IMethodSymbol method, string display, Location? location, List<DiagnosticInfo> diagnostics)
    {
        var containers = new List<ContainerModel>();
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            var partial = type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial)
            {
                diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.NotPartial, location, display, $"declare '{type.Name}' partial, so the generated tool can live inside it"));
            }

            if (type.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.NotPartial, location, display, $"'{type.Name}' is generic; put the tool in a type without type parameters"));
            }

            var keyword = type.IsRecord ? (type.IsValueType ? "record struct" : "record")
                : type.TypeKind == TypeKind.Struct ? "struct"
                : type.TypeKind == TypeKind.Interface ? "interface"
                : "class";
            containers.Insert(0, new ContainerModel(keyword, type.Name));
        }

        return containers;
    }

    private static ReturnKind? ReturnOf(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String)
        {
            return ReturnKind.String;
        }

        if (Is(type, ToolResultName))
        {
            return ReturnKind.Result;
        }

        if (type is not INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic)
        {
            return null;
        }

        var argument = generic.TypeArguments[0];
        var isString = argument.SpecialType == SpecialType.System_String;
        var isResult = Is(argument, ToolResultName);
        return generic.OriginalDefinition.ToDisplayString() switch
        {
            "System.Threading.Tasks.Task<TResult>" when isString => ReturnKind.TaskString,
            "System.Threading.Tasks.Task<TResult>" when isResult => ReturnKind.TaskResult,
            "System.Threading.Tasks.ValueTask<TResult>" when isString => ReturnKind.ValueTaskString,
            "System.Threading.Tasks.ValueTask<TResult>" when isResult => ReturnKind.ValueTaskResult,
            "System.Collections.Generic.IAsyncEnumerable<T>" when isString => ReturnKind.Stream,
            _ => null,
        };
    }

    private static ParameterModel? ParameterOf(IParameterSymbol parameter, string tool, Location? location, List<DiagnosticInfo> diagnostics)
    {
        var type = parameter.Type;
        var typeDisplay = type.ToDisplayString(TypeFormat);
        if (Is(type, ToolContextName))
        {
            return new ParameterModel(parameter.Name, ParameterSource.Context, typeDisplay, ScalarKind.String, string.Empty, CollectionKind.None, false, null, default);
        }

        if (Is(type, "System.Threading.CancellationToken"))
        {
            return new ParameterModel(parameter.Name, ParameterSource.CancellationToken, typeDisplay, ScalarKind.String, string.Empty, CollectionKind.None, false, null, default);
        }

        var nullable = type.NullableAnnotation == NullableAnnotation.Annotated;
        var inner = type;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } wrapped)
        {
            nullable = true;
            inner = wrapped.TypeArguments[0];
        }

        var collection = CollectionKind.None;
        var element = inner;
        if (inner is IArrayTypeSymbol { Rank: 1 } array)
        {
            collection = CollectionKind.Array;
            element = array.ElementType;
        }
        else if (inner is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic)
        {
            switch (generic.OriginalDefinition.ToDisplayString())
            {
                case "System.Collections.Generic.List<T>":
                    collection = CollectionKind.List;
                    element = generic.TypeArguments[0];
                    break;
                case "System.Collections.Generic.IList<T>" or "System.Collections.Generic.IReadOnlyList<T>" or "System.Collections.Generic.IEnumerable<T>"
                    or "System.Collections.Generic.ICollection<T>" or "System.Collections.Generic.IReadOnlyCollection<T>":
                    collection = CollectionKind.Array;
                    element = generic.TypeArguments[0];
                    break;
            }
        }

        if (Scalar(element) is not { } scalar || (collection != CollectionKind.None && element.NullableAnnotation == NullableAnnotation.Annotated && element.IsValueType))
        {
            diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.UnsupportedParameter, location, parameter.Name, tool, type.ToDisplayString()));
            return null;
        }

        var members = scalar == ScalarKind.Enum ? EnumMembers((INamedTypeSymbol)element) : [];
        // An absent argument takes the parameter's default; a nullable one without a default is null. A conditional whose
        // branches are int and `default` would type `default` as 0, so null is spelled out.
        var defaultLiteral = !parameter.HasExplicitDefaultValue ? (nullable ? "null" : null)
            : parameter.ExplicitDefaultValue is null ? (nullable ? "null" : "default")
            : Literal(parameter.ExplicitDefaultValue, scalar, element);

        return new ParameterModel(
            parameter.Name, ParameterSource.Argument, typeDisplay, scalar,
            element.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            collection,
            Required: !parameter.HasExplicitDefaultValue && !nullable,
            defaultLiteral,
            EquatableArray.From(members));
    }

    private static ScalarKind? Scalar(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_String => ScalarKind.String,
        SpecialType.System_Boolean => ScalarKind.Boolean,
        SpecialType.System_Int32 => ScalarKind.Int32,
        SpecialType.System_Int64 => ScalarKind.Int64,
        SpecialType.System_Double => ScalarKind.Double,
        SpecialType.System_Decimal => ScalarKind.Decimal,
        _ => type.TypeKind == TypeKind.Enum ? ScalarKind.Enum : null,
    };

    private static List<EnumMemberModel> EnumMembers(INamedTypeSymbol type)
    {
        var members = new List<EnumMemberModel>();
        foreach (var field in type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue))
        {
            var wire = field.GetAttributes().FirstOrDefault(a => Is(a.AttributeClass, "System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute"))
                ?.ConstructorArguments.FirstOrDefault().Value as string;
            members.Add(new EnumMemberModel(wire ?? field.Name, field.Name));
        }

        return members;
    }

    // The C# literal of a default value, for the generated call when the argument is absent.
    private static string Literal(object value, ScalarKind scalar, ITypeSymbol element) =>
        scalar switch
        {
            ScalarKind.String => SymbolDisplay.FormatLiteral((string)value, quote: true),
            ScalarKind.Boolean => (bool)value ? "true" : "false",
            ScalarKind.Int32 => ((int)value).ToString(CultureInfo.InvariantCulture),
            ScalarKind.Int64 => ((long)value).ToString(CultureInfo.InvariantCulture) + "L",
            ScalarKind.Double => double.IsNaN((double)value) ? "double.NaN" : double.IsInfinity((double)value) ? ((double)value > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity") : ((double)value).ToString("R", CultureInfo.InvariantCulture) + "d",
            ScalarKind.Decimal => ((decimal)value).ToString(CultureInfo.InvariantCulture) + "m",
            _ => $"({element.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)})({System.Convert.ToString(value, CultureInfo.InvariantCulture)})",
        };

    private static string PropertySchema(IParameterSymbol parameter, ParameterModel model, string? description, string tool, Location? location, List<DiagnosticInfo> diagnostics)
    {
        var nullable = parameter.Type.NullableAnnotation == NullableAnnotation.Annotated
            || parameter.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
        var item = new List<string>();
        var outer = new List<string>();
        var isArray = model.Collection != CollectionKind.None;
        var scalarType = model.Scalar switch
        {
            ScalarKind.String or ScalarKind.Enum => "string",
            ScalarKind.Boolean => "boolean",
            ScalarKind.Int32 or ScalarKind.Int64 => "integer",
            _ => "number",
        };

        string TypeOf(string type, bool orNull) => orNull ? $"[\"{type}\",\"null\"]" : $"\"{type}\"";
        item.Add("\"type\":" + TypeOf(scalarType, nullable && !isArray));
        if (model.Scalar == ScalarKind.Enum)
        {
            var values = model.EnumMembers.Select(m => JsonText.String(m.Wire)).ToList();
            if (nullable && !isArray)
            {
                values.Add("null");
            }

            item.Add("\"enum\":[" + string.Join(",", values) + "]");
        }

        var typeName = parameter.Type.ToDisplayString();
        var isNumber = model.Scalar is ScalarKind.Int32 or ScalarKind.Int64 or ScalarKind.Double or ScalarKind.Decimal;
        var isString = model.Scalar == ScalarKind.String;
        foreach (var attribute in parameter.GetAttributes())
        {
            var attributeName = attribute.AttributeClass?.ToDisplayString() ?? string.Empty;
            if (!attributeName.StartsWith(DataAnnotations, System.StringComparison.Ordinal))
            {
                continue;
            }

            var shortName = attributeName.Substring(DataAnnotations.Length);
            var args = attribute.ConstructorArguments;
            var applies = true;
            switch (shortName)
            {
                case "RangeAttribute" when isNumber:
                    var (min, max) = args.Length == 3 ? (NumberText(args[1].Value), NumberText(args[2].Value)) : (NumberText(args[0].Value), NumberText(args[1].Value));
                    var exclusiveMin = Named(attribute, "MinimumIsExclusive") is true;
                    var exclusiveMax = Named(attribute, "MaximumIsExclusive") is true;
                    if (min is not null)
                    {
                        item.Add($"\"{(exclusiveMin ? "exclusiveMinimum" : "minimum")}\":{min}");
                    }

                    if (max is not null)
                    {
                        item.Add($"\"{(exclusiveMax ? "exclusiveMaximum" : "maximum")}\":{max}");
                    }

                    break;
                case "StringLengthAttribute" when isString:
                    item.Add($"\"maxLength\":{JsonText.Number(args[0].Value!)}");
                    if (Named(attribute, "MinimumLength") is int minimumLength and > 0)
                    {
                        item.Add($"\"minLength\":{minimumLength.ToString(CultureInfo.InvariantCulture)}");
                    }

                    break;
                case "MinLengthAttribute" when isArray || isString:
                    (isArray ? outer : item).Add($"\"{(isArray ? "minItems" : "minLength")}\":{JsonText.Number(args[0].Value!)}");
                    break;
                case "MaxLengthAttribute" when (isArray || isString) && args.Length == 1:
                    (isArray ? outer : item).Add($"\"{(isArray ? "maxItems" : "maxLength")}\":{JsonText.Number(args[0].Value!)}");
                    break;
                case "LengthAttribute" when isArray || isString:
                    (isArray ? outer : item).Add($"\"{(isArray ? "minItems" : "minLength")}\":{JsonText.Number(args[0].Value!)}");
                    (isArray ? outer : item).Add($"\"{(isArray ? "maxItems" : "maxLength")}\":{JsonText.Number(args[1].Value!)}");
                    break;
                case "RegularExpressionAttribute" when isString:
                    // DataAnnotations match the whole value; a JSON Schema pattern matches anywhere, so it is anchored.
                    item.Add($"\"pattern\":{JsonText.String("^(?:" + (string)args[0].Value! + ")$")}");
                    break;
                case "RangeAttribute" or "StringLengthAttribute" or "MinLengthAttribute" or "MaxLengthAttribute" or "LengthAttribute" or "RegularExpressionAttribute":
                    applies = false;
                    break;
            }

            if (!applies)
            {
                diagnostics.Add(DiagnosticInfo.Create(ToolDiagnostics.ConstraintIgnored, location, shortName.Substring(0, shortName.Length - "Attribute".Length), parameter.Name, tool, typeName));
            }
        }

        var properties = new List<string>();
        if (isArray)
        {
            properties.Add("\"type\":" + TypeOf("array", nullable));
            properties.Add("\"items\":{" + string.Join(",", item) + "}");
            properties.AddRange(outer);
        }
        else
        {
            properties.AddRange(item);
        }

        if (description is not null)
        {
            properties.Insert(1, "\"description\":" + JsonText.String(description));
        }

        if (parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is { } value)
        {
            var json = model.Scalar switch
            {
                ScalarKind.String => JsonText.String((string)value),
                ScalarKind.Boolean => (bool)value ? "true" : "false",
                ScalarKind.Enum => model.EnumMembers.FirstOrDefault(m => Equals(EnumValue(parameter, m.Member), value)) is { } member ? JsonText.String(member.Wire) : null,
                _ => JsonText.Number(value),
            };
            if (json is not null)
            {
                properties.Add("\"default\":" + json);
            }
        }

        return "{" + string.Join(",", properties) + "}";
    }

    private static object? EnumValue(IParameterSymbol parameter, string member)
    {
        var type = parameter.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } wrapped ? wrapped.TypeArguments[0] : parameter.Type;
        return type.GetMembers(member).OfType<IFieldSymbol>().FirstOrDefault()?.ConstantValue;
    }

    private static object? Named(AttributeData attribute, string name)
    {
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == name)
            {
                return named.Value.Value;
            }
        }

        return null;
    }

    // [Range(1, 20)], [Range(0.5, 1.5)] or [Range(typeof(decimal), "0", "9.99")]: the bound as a JSON number.
    private static string? NumberText(object? value) => value switch
    {
        null => null,
        string text => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed.ToString(CultureInfo.InvariantCulture)
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsInfinity(d) && !double.IsNaN(d) ? JsonText.Number(d)
            : null,
        double d when double.IsInfinity(d) || double.IsNaN(d) => null,
        _ => JsonText.Number(value),
    };

    private static bool Is(ITypeSymbol? type, string fullName) => type is not null && type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.None)) == fullName;
}
