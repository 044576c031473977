namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddUnits(List<Builtin> all)
    {
    }
}
