namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddGlob(List<Builtin> all)
    {
    }
}
