using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego;

/// <summary>Prints modules as canonical Rego source.</summary>
public static class RegoPrinter
{
    /// <summary>The module as canonical source text; parsing it gives back an equal tree.</summary>
    public static string Print(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Printer.Print(module);
    }
}
