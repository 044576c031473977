using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Soma.Tools.Generators;

/// <summary>What the generator knows of one <c>[Tool]</c> method: plain values only, so the pipeline can cache it.</summary>
internal sealed record ToolModel(
    string Name,
    string Risk,
    bool Sandboxed,
    string? Namespace,
    EquatableArray<ContainerModel> Containers,
    string ContainerFullName,
    bool IsStatic,
    string MethodName,
    string ClassName,
    bool IsPublic,
    string Description,
    string SchemaJson,
    EquatableArray<ParameterModel> Parameters,
    ReturnKind Return,
    LocationInfo? Location,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors
    {
        get
        {
            foreach (var diagnostic in Diagnostics)
            {
                if (diagnostic.Descriptor.DefaultSeverity == DiagnosticSeverity.Error)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>A type around the method, outermost first (<c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c>).</summary>
internal sealed record ContainerModel(string Keyword, string Name);

/// <summary>How a parameter is filled.</summary>
internal enum ParameterSource
{
    Argument,
    Context,
    CancellationToken,
}

/// <summary>The JSON kind of a scalar.</summary>
internal enum ScalarKind
{
    String,
    Boolean,
    Int32,
    Int64,
    Double,
    Decimal,
    Enum,
}

/// <summary>How a collection parameter is built from the array read.</summary>
internal enum CollectionKind
{
    None,
    Array,
    List,
}

/// <summary>One parameter of the method.</summary>
internal sealed record ParameterModel(
    string Name,
    ParameterSource Source,
    string TypeDisplay,
    ScalarKind Scalar,
    string ScalarTypeDisplay,
    CollectionKind Collection,
    bool Required,
    string? DefaultLiteral,
    EquatableArray<EnumMemberModel> EnumMembers);

/// <summary>An enum member and its name on the wire.</summary>
internal sealed record EnumMemberModel(string Wire, string Member);

/// <summary>What the method returns.</summary>
internal enum ReturnKind
{
    String,
    Result,
    TaskString,
    TaskResult,
    ValueTaskString,
    ValueTaskResult,
    Stream,
}

/// <summary>A location that survives the pipeline's caching (a <see cref="Microsoft.CodeAnalysis.Location"/> holds a syntax tree).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Microsoft.CodeAnalysis.Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic to report, with its arguments as strings.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), [.. Arguments]);

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        new(descriptor, LocationInfo.From(location), new EquatableArray<string>(arguments));
}

/// <summary>What the whole compilation offers the registration class.</summary>
internal sealed record AssemblyModel(string Namespace, bool HasDependencyInjection);
