namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddEncoding(List<Builtin> all)
    {
    }
}
