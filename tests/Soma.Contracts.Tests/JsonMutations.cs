using System.Text.Json.Nodes;

namespace Soma.Contracts.Tests;

/// <summary>Changes the property tests make to a valid JSON object to get values near it, valid or not.</summary>
internal static class JsonMutations
{
    /// <summary>
    /// Changes one field of <paramref name="target"/>: drops one, gives one another of <paramref name="values"/>, or sets
    /// one named from <paramref name="names"/> (added, or replaced when present) to one of them.
    /// </summary>
    public static void ChangeField(JsonObject target, Random random, IReadOnlyList<JsonNode?> values, IReadOnlyList<string> names)
    {
        var present = target.Select(p => p.Key).ToList();
        var kind = random.Next(3);
        if (kind < 2 && present.Count > 0)
        {
            var name = present[random.Next(present.Count)];
            if (kind == 0)
            {
                target.Remove(name);
            }
            else
            {
                target[name] = Pick(values, random);
            }

            return;
        }

        target[names[random.Next(names.Count)]] = Pick(values, random);
    }

    /// <summary>A copy of one of <paramref name="values"/>.</summary>
    public static JsonNode? Pick(IReadOnlyList<JsonNode?> values, Random random) => values[random.Next(values.Count)]?.DeepClone();
}
