using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddTypes(List<Builtin> all)
    {
        Add(all, "is_number", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.Number));
        Add(all, "is_string", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.String));
        Add(all, "is_boolean", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.Boolean));
        Add(all, "is_array", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.Array));
        Add(all, "is_set", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.Set));
        Add(all, "is_object", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.Object));
        Add(all, "is_null", 1, (_, a) => Value.Bool(a[0].Kind == ValueKind.Null));
        Add(all, "type_name", 1, (_, a) => Value.String(a[0].TypeName));
    }
}
