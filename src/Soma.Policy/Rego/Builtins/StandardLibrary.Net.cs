namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddNet(List<Builtin> all)
    {
    }
}
