using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Soma.Contracts.Schemas;

/// <summary>
/// A schema (a tool's arguments, a workflow's input) turned, once, into a plain check that needs no schema evaluator: an
/// object of named properties, each a scalar or an array of scalars with the keywords the tool SDK writes (type, enum,
/// minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems, items), required names
/// and additionalProperties. <see cref="IsCertainlyValid"/> answers true only when the value is valid under JSON Schema
/// 2020-12; false means "not certain", and the full evaluator decides and explains. A keyword outside this set (a
/// pattern, a reference, a nested object, a format unless it is read as an annotation) makes its property "not certain"
/// whenever it is present, and one at the top makes the whole schema fall back (<see cref="TryCreate"/> returns null).
/// </summary>
public sealed class SchemaShapeCheck
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly",
    };

    private readonly byte[][] _names;
    private readonly Rule[] _rules;
    private readonly ulong _required;
    private readonly bool _closed;

    private SchemaShapeCheck(byte[][] names, Rule[] rules, ulong required, bool closed)
    {
        _names = names;
        _rules = rules;
        _required = required;
        _closed = closed;
    }

    /// <summary>The check for <paramref name="schema"/>, or null when its top level is not an object shape this covers.</summary>
    /// <param name="schema">The JSON Schema (draft 2020-12).</param>
    /// <param name="formatIsAnnotation">
    /// Whether <c>format</c> only annotates, as in draft 2020-12's default vocabulary and in an evaluator run with
    /// annotations off (JsonSchema.Net as workflow inputs are checked). Otherwise a property with a format is "not certain".
    /// </param>
    public static SchemaShapeCheck? TryCreate(JsonElement schema, bool formatIsAnnotation = false)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var properties = new List<(string Name, Rule Rule)>();
        var required = new List<string>();
        var closed = false;
        foreach (var keyword in schema.EnumerateObject())
        {
            switch (keyword.Name)
            {
                case "type" when keyword.Value.ValueKind == JsonValueKind.String && keyword.Value.ValueEquals("object"u8):
                    break;
                case "$schema" when keyword.Value.ValueKind == JsonValueKind.String && keyword.Value.ValueEquals("https://json-schema.org/draft/2020-12/schema"u8):
                    break;
                case "properties" when keyword.Value.ValueKind == JsonValueKind.Object:
                    foreach (var property in keyword.Value.EnumerateObject())
                    {
                        properties.Add((property.Name, Rule.From(property.Value, depth: 0, formatIsAnnotation)));
                    }

                    break;
                case "required" when keyword.Value.ValueKind == JsonValueKind.Array:
                    foreach (var name in keyword.Value.EnumerateArray())
                    {
                        if (name.ValueKind != JsonValueKind.String)
                        {
                            return null;
                        }

                        required.Add(name.GetString()!);
                    }

                    break;
                case "additionalProperties" when keyword.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    closed = keyword.Value.ValueKind == JsonValueKind.False;
                    break;
                default:
                    if (!Annotations.Contains(keyword.Name))
                    {
                        return null;
                    }

                    break;
            }
        }

        // A required name the schema does not describe may hold anything, unless additional properties are refused: then
        // no value of it is valid (and its absence fails "required").
        foreach (var name in required)
        {
            if (properties.TrueForAll(p => p.Name != name))
            {
                properties.Add((name, closed ? Rule.None : Rule.Any));
            }
        }

        if (properties.Count > 64 || properties.Select(p => p.Name).Distinct(StringComparer.Ordinal).Count() != properties.Count)
        {
            return null;
        }

        var mask = 0UL;
        foreach (var name in required)
        {
            mask |= 1UL << properties.FindIndex(p => p.Name == name);
        }

        return new SchemaShapeCheck([.. properties.Select(p => Encoding.UTF8.GetBytes(p.Name))], [.. properties.Select(p => p.Rule)], mask, closed);
    }

    /// <summary>True only when <paramref name="value"/> is valid under the schema; false when it may not be.</summary>
    /// <param name="value">The value to check (a tool call's arguments, a run's input).</param>
    public bool IsCertainlyValid(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var seen = 0UL;
        foreach (var property in value.EnumerateObject())
        {
            var index = IndexOf(property);
            if (index < 0)
            {
                if (_closed)
                {
                    return false;
                }

                continue;
            }

            var bit = 1UL << index;
            if ((seen & bit) != 0 || !_rules[index].IsCertainlyValid(property.Value))
            {
                // A name given twice is left to the evaluator, as is every value this cannot vouch for.
                return false;
            }

            seen |= bit;
        }

        return (seen & _required) == _required;
    }

    private int IndexOf(JsonProperty property)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (property.NameEquals(_names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    [Flags]
    private enum Kinds
    {
        None = 0,
        String = 1,
        Integer = 2,
        Number = 4,
        Boolean = 8,
        Null = 16,
        Array = 32,
        Any = String | Integer | Number | Boolean | Null | Array,
    }

    /// <summary>One property's schema: a scalar or an array, with the keywords this check knows.</summary>
    private sealed class Rule
    {
        public static readonly Rule Any = new() { Types = Kinds.Any, AllowsObject = true };

        public static readonly Rule None = new() { Never = true };

        private Rule()
        {
        }

        private bool Unknown { get; init; }

        private bool Never { get; init; }

        private Kinds Types { get; init; } = Kinds.Any;

        private bool AllowsObject { get; init; } = true;

        private string?[]? Enum { get; init; }

        private decimal? Minimum { get; init; }

        private decimal? Maximum { get; init; }

        private decimal? ExclusiveMinimum { get; init; }

        private decimal? ExclusiveMaximum { get; init; }

        private int? MinLength { get; init; }

        private int? MaxLength { get; init; }

        private int? MinItems { get; init; }

        private int? MaxItems { get; init; }

        private Rule? Items { get; init; }

        public static Rule From(JsonElement schema, int depth, bool formatIsAnnotation)
        {
            if (schema.ValueKind is JsonValueKind.True)
            {
                return Any;
            }

            if (schema.ValueKind is JsonValueKind.False)
            {
                return None;
            }

            var unknown = new Rule { Unknown = true };
            if (schema.ValueKind != JsonValueKind.Object || depth > 4)
            {
                return unknown;
            }

            var types = Kinds.Any;
            var allowsObject = true;
            string?[]? values = null;
            decimal? minimum = null, maximum = null, exclusiveMinimum = null, exclusiveMaximum = null;
            int? minLength = null, maxLength = null, minItems = null, maxItems = null;
            Rule? items = null;
            foreach (var keyword in schema.EnumerateObject())
            {
                var value = keyword.Value;
                var known = keyword.Name switch
                {
                    "type" => TryTypes(value, out types, out allowsObject),
                    "enum" => TryEnum(value, out values),
                    "minimum" => TryNumber(value, out minimum),
                    "maximum" => TryNumber(value, out maximum),
                    "exclusiveMinimum" => TryNumber(value, out exclusiveMinimum),
                    "exclusiveMaximum" => TryNumber(value, out exclusiveMaximum),
                    "minLength" => TryCount(value, out minLength),
                    "maxLength" => TryCount(value, out maxLength),
                    "minItems" => TryCount(value, out minItems),
                    "maxItems" => TryCount(value, out maxItems),
                    "items" => (items = From(value, depth + 1, formatIsAnnotation)) is not null,
                    "format" => formatIsAnnotation,
                    _ => Annotations.Contains(keyword.Name),
                };
                if (!known)
                {
                    return unknown;
                }
            }

            // An object value has keywords of its own (properties, required…) this does not check.
            return new Rule
            {
                Types = types,
                AllowsObject = allowsObject,
                Enum = values,
                Minimum = minimum,
                Maximum = maximum,
                ExclusiveMinimum = exclusiveMinimum,
                ExclusiveMaximum = exclusiveMaximum,
                MinLength = minLength,
                MaxLength = maxLength,
                MinItems = minItems,
                MaxItems = maxItems,
                Items = items,
            };
        }

        public bool IsCertainlyValid(JsonElement value)
        {
            if (Unknown || Never)
            {
                return false;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    return (Types & Kinds.String) != 0 && InEnum(value) && StringLengthFits(value);
                case JsonValueKind.Number:
                    return Enum is null && NumberFits(value);
                case JsonValueKind.True or JsonValueKind.False:
                    return (Types & Kinds.Boolean) != 0 && Enum is null;
                case JsonValueKind.Null:
                    return (Types & Kinds.Null) != 0 && InEnum(value);
                case JsonValueKind.Array:
                    return (Types & Kinds.Array) != 0 && Enum is null && ArrayFits(value);
                default:
                    // An object: only a schema that says nothing of it lets it through.
                    return AllowsObject && Types == Kinds.Any && Enum is null && Items is null;
            }
        }

        private bool InEnum(JsonElement value)
        {
            if (Enum is null)
            {
                return true;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                return Array.IndexOf(Enum, null) >= 0;
            }

            try
            {
                foreach (var allowed in Enum)
                {
                    if (allowed is not null && value.ValueEquals(allowed))
                    {
                        return true;
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // Text that is not valid UTF-16 once unescaped (a lone surrogate) is left to the evaluator.
            }

            return false;
        }

        private bool StringLengthFits(JsonElement value)
        {
            if (MinLength is null && MaxLength is null)
            {
                return true;
            }

            string text;
            try
            {
                text = value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            // JSON Schema counts characters (code points), but evaluators count UTF-16 units, code points or
            // graphemes (JsonSchema.Net: graphemes, so "e" + a combining accent is one). Printable ASCII is the same under
            // all three; any other text must fit under each of them.
            if (!text.AsSpan().ContainsAnyExceptInRange(' ', '~'))
            {
                return Fits(text.Length);
            }

            var codePoints = 0;
            foreach (var _ in text.EnumerateRunes())
            {
                codePoints++;
            }

            return Fits(text.Length) && Fits(codePoints) && Fits(new StringInfo(text).LengthInTextElements);
        }

        private bool Fits(int length) => (MinLength is not { } min || length >= min) && (MaxLength is not { } max || length <= max);

        private bool NumberFits(JsonElement value)
        {
            if (!value.TryGetDecimal(out var number))
            {
                return false;
            }

            var integer = number == decimal.Truncate(number);
            if ((Types & Kinds.Number) == 0 && !((Types & Kinds.Integer) != 0 && integer))
            {
                return false;
            }

            // Exact decimal comparisons; a strict bound must also hold for the values as doubles, which an evaluator
            // comparing doubles may see as equal (rounding keeps <= but not <).
            return (Minimum is not { } min || number >= min)
                && (Maximum is not { } max || number <= max)
                && (ExclusiveMinimum is not { } above || (number > above && (double)number > (double)above))
                && (ExclusiveMaximum is not { } below || (number < below && (double)number < (double)below));
        }

        private bool ArrayFits(JsonElement value)
        {
            var count = value.GetArrayLength();
            if ((MinItems is { } min && count < min) || (MaxItems is { } max && count > max))
            {
                return false;
            }

            if (Items is { } items)
            {
                foreach (var item in value.EnumerateArray())
                {
                    if (!items.IsCertainlyValid(item))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private static bool TryTypes(JsonElement value, out Kinds types, out bool allowsObject)
        {
            types = Kinds.None;
            allowsObject = false;
            if (value.ValueKind == JsonValueKind.String)
            {
                return AddType(value, ref types, ref allowsObject);
            }

            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                return false;
            }

            foreach (var name in value.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String || !AddType(name, ref types, ref allowsObject))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool AddType(JsonElement name, ref Kinds types, ref bool allowsObject)
        {
            var kind = name.GetString() switch
            {
                "string" => Kinds.String,
                "integer" => Kinds.Integer,
                "number" => Kinds.Number,
                "boolean" => Kinds.Boolean,
                "null" => Kinds.Null,
                "array" => Kinds.Array,
                "object" => Kinds.None,
                _ => (Kinds?)null,
            };
            if (kind is not { } known)
            {
                return false;
            }

            allowsObject |= known == Kinds.None;
            types |= known;
            return true;
        }

        private static bool TryEnum(JsonElement value, out string?[]? values)
        {
            values = null;
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                return false;
            }

            var list = new List<string?>();
            foreach (var item in value.EnumerateArray())
            {
                switch (item.ValueKind)
                {
                    case JsonValueKind.String:
                        list.Add(item.GetString());
                        break;
                    case JsonValueKind.Null:
                        list.Add(null);
                        break;
                    default:
                        // Numbers and booleans compare by value in JSON Schema; this check leaves them to the evaluator.
                        return false;
                }
            }

            values = [.. list];
            return true;
        }

        private static bool TryNumber(JsonElement value, out decimal? number)
        {
            number = value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var parsed) ? parsed : null;
            return number is not null;
        }

        private static bool TryCount(JsonElement value, out int? count)
        {
            count = value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var parsed) && parsed >= 0 ? parsed : null;
            return count is not null;
        }
    }
}
