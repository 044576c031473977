namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddUuid(List<Builtin> all)
    {
    }
}
