namespace Soma.Policy.Rego.Builtins;

/// <summary>Every builtin this engine ships, grouped by area in partial files (<c>StandardLibrary.Strings.cs</c>, …).</summary>
internal static partial class StandardLibrary
{
    public static IEnumerable<Builtin> All() => [];
}
