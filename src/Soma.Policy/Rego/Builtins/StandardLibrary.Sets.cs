using System.Collections.Immutable;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddSets(List<Builtin> all)
    {
        Add(all, "intersection", 1, (_, a) =>
        {
            ImmutableSortedSet<Value>? result = null;
            foreach (var item in ArgSet("intersection", a[0]).Items)
            {
                var set = ArgSet("intersection", item).Items;
                result = result is null ? set : result.Intersect(set);
            }

            return result is null ? Value.EmptySet : Value.Set(result);
        });
        Add(all, "union", 1, (_, a) =>
        {
            var result = ImmutableSortedSet<Value>.Empty;
            foreach (var item in ArgSet("union", a[0]).Items)
            {
                result = result.Union(ArgSet("union", item).Items);
            }

            return Value.Set(result);
        });
    }
}
