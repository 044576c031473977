using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Soma.Contracts.Schemas;

namespace Soma.Contracts.Tests;

/// <summary>
/// The validators compiled from the schemas at build time (<see cref="CompiledSchemas"/>) give JsonSchema.Net's verdict:
/// on every example, and on a generated corpus of mutated valid events (a field dropped, a wrong type, a string too long
/// or off its pattern, a number below its minimum, an unknown field, another const, enum value or event type). The one
/// known departure (a pattern's '$' before a final line feed) is pinned on its own.
/// </summary>
public sealed class CompiledSchemaParityTests
{
    // JsonSchema.Net throughout: a registry other than the default one is never compiled.
    private static readonly EventValidator Runtime = new(SchemaRegistry.FromDirectory(Repository.Schemas));

    private static readonly (string Schema, string Json)[] ValidEvents = [.. Examples("valid")];

    // Every const and enum string of the schemas, and the names of every property: mutations pick from them, so a
    // mutated event often takes another if/then branch or meets a closed object's known name in the wrong place.
    private static readonly string[] SchemaStrings = [.. CollectSchemaStrings()];

    // Names a field may be added under: unknown ones, and every name the schemas know.
    private static readonly string[] FieldNames = ["extra_0", "extra_1", "extra_2", .. SchemaStrings];

    private static readonly JsonNode?[] Values =
    [
        null, true, false, 0, 1, -1, 2, 0.5, -0.5, 1.0, 1e2, JsonNode.Parse("1e400"), JsonNode.Parse("-1e-400"), JsonNode.Parse("-0"),
        JsonNode.Parse("0.99999999999999999999"), JsonNode.Parse("1.0000000000000000001"), JsonNode.Parse("12345678901234567890123"),
        "", "x", "A", "a.b", "a_b.c_d", "Ab.c", "-x", "x y", "é", "e\u0301", "\U0001F600", new string('x', 100), new string('x', 101),
        new string('x', 128), new string('x', 129), new string('x', 200), new string('x', 201), new string('é', 200), new string('é', 201),
        string.Concat(Enumerable.Repeat("e\u0301", 200)), new string('x', 2001), new string('x', 65537),
        new string('0', 32), new string('0', 16), new string('a', 32), new string('a', 16), new string('A', 16), new string('a', 64),
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b", "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
        "2025-01-02T03:04:05Z", "2025-01-02T03:04:05.123456789+05:30", "2025-01-02T03:04:05.1234567890Z", "2025-01-02 03:04:05Z",
        "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-12-31T23:59:60Z", "2025-12-31T12:59:60Z",
        "2025-12-31T22:59:60-01:00", "0001-01-01T00:00:00Z", "2025-01-02T03:04:05", "2025-01-02T03:04:05+24:00", "2025-13-02T03:04:05Z",
        "agent.steps.v1", "agent.steps.v0", "x.v1", "tools[2]/call", "web.search", "9tool", "a\\b",
        new JsonObject(), new JsonArray(), new JsonObject { ["x"] = 1 },
    ];

    public static TheoryData<string, string, bool> Examples()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var (schema, json) in Examples("valid"))
        {
            data.Add(schema, json, true);
        }

        foreach (var (schema, json) in Examples("invalid"))
        {
            data.Add(schema, json, false);
        }

        return data;
    }

    [Fact]
    public void Every_schema_file_is_compiled()
    {
        Assert.Equal(SchemaRegistry.Default.SchemaNames.Order(StringComparer.Ordinal), CompiledSchemas.Names.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_gets_the_same_verdict_from_both(string schema, string json, bool expected)
    {
        var (compiled, runtime) = Verdicts(schema, json);
        Assert.Equal(expected, runtime);
        Assert.Equal(expected, compiled);
    }

    [Fact]
    public void A_valid_event_is_validated_without_allocating()
    {
        var events = ValidEvents.Select(e => (e.Schema, Event: JsonElement.Parse(e.Json))).ToList();
        for (var round = 0; round < 3; round++)
        {
            // Warm up: the regexes are built and the methods compiled on first use.
            foreach (var (schema, element) in events)
            {
                CompiledSchemas.TryValidate(schema, element, out _);
            }
        }

        // The fewest bytes of five measured rounds: a validator that allocates does so in every round, while the runtime
        // may allocate on this thread once in a while on its own (seen once under a loaded machine: 2,568 bytes in one round).
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var valid = 0;
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var (schema, element) in events)
            {
                if (CompiledSchemas.TryValidate(schema, element, out var isValid) && isValid)
                {
                    valid++;
                }
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(events.Count, valid);
        }

        Assert.Equal(0, fewest);
    }

    [Fact]
    public void Mutated_events_get_the_same_verdict_from_both()
    {
        var invalid = 0;
        var total = 0;
        Gen.Select(Gen.Int[0, ValidEvents.Length - 1], Gen.Int[1, 3], Gen.Int).Sample((index, count, seed) =>
        {
            var (schema, json) = ValidEvents[index];
            var mutated = Mutate(json, count, new Random(seed));
            var (compiled, runtime) = Verdicts(schema, mutated);
            Assert.True(compiled == runtime, $"{schema}: compiled {compiled}, JsonSchema.Net {runtime} for {mutated}");
            Interlocked.Increment(ref total);
            if (!runtime)
            {
                Interlocked.Increment(ref invalid);
            }
        }, iter: 20_000, threads: 1);

        // The corpus is worth something only if it has both verdicts in number.
        Assert.InRange(invalid, total / 4, total - (total / 20));
    }

    [Theory]
    [InlineData("tenant_id", "acme\n")]
    [InlineData("span_id", "00f067aa0ba902b7\n")]
    public void A_final_line_feed_fails_a_pattern_in_the_compiled_validator_only(string field, string value)
    {
        // ECMAScript's '$' (which JSON Schema specifies) is the end of the value; .NET's, which JsonSchema.Net uses,
        // also matches before a final line feed.
        var (schema, json) = ValidEvents.First(e => e.Schema == "agent.steps.v1");
        var node = JsonNode.Parse(json)!;
        node[field] = value;
        var (compiled, runtime) = Verdicts(schema, node.ToJsonString());
        Assert.False(compiled);
        Assert.True(runtime);

        var result = new EventValidator(SchemaRegistry.Default).Validate(JsonElement.Parse(node.ToJsonString()));
        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void An_invalid_event_is_still_explained_by_pointer()
    {
        var (schema, json) = ValidEvents.First(e => e.Schema == "agent.steps.v1");
        var node = JsonNode.Parse(json)!;
        node["tenant_id"] = "ACME";
        var result = new EventValidator(SchemaRegistry.Default).Validate(JsonElement.Parse(node.ToJsonString()), schema);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Pointer == "/tenant_id");
    }

    private static (bool Compiled, bool Runtime) Verdicts(string schema, string json)
    {
        var element = JsonElement.Parse(json);
        Assert.True(CompiledSchemas.TryValidate(schema, element, out var compiled), $"no compiled schema '{schema}'");
        return (compiled, Runtime.Validate(element, schema).IsValid);
    }

    private static string Mutate(string json, int count, Random random)
    {
        var root = JsonNode.Parse(json)!;
        for (var i = 0; i < count; i++)
        {
            var objects = Objects(root).ToList();
            var target = objects[random.Next(objects.Count)];
            var names = target.Select(p => p.Key).ToList();
            switch (random.Next(7))
            {
                case 0 or 1 or 3: // a field dropped, given another value of any type, or added (unknown, or known elsewhere)
                    JsonMutations.ChangeField(target, random, Values, FieldNames);
                    break;
                case 2 when names.Count > 0: // another const, enum value or event type
                    target[names[random.Next(names.Count)]] = SchemaStrings[random.Next(SchemaStrings.Length)];
                    break;
                case 4 when names.Count > 0: // a string edited at one end
                    var key = names[random.Next(names.Count)];
                    if (target[key] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        target[key] = random.Next(4) switch
                        {
                            0 => s + "x",
                            1 => s.Length > 0 ? s[..^1] : s,
                            2 => s.ToUpperInvariant(),
                            _ => s + "\u0301",
                        };
                    }

                    break;
                case 5 when names.Count > 0: // a number moved by one, or negated
                    var field = names[random.Next(names.Count)];
                    if (target[field] is JsonValue n && n.TryGetValue<double>(out var d) && double.IsFinite(d))
                    {
                        target[field] = random.Next(3) switch { 0 => d - 1, 1 => -d, _ => d + 0.5 };
                    }

                    break;
                default: // the event type swapped: another if/then branch applies to the same data
                    root["type"] = SchemaStrings[random.Next(SchemaStrings.Length)];
                    break;
            }
        }

        return root.ToJsonString();
    }

    private static IEnumerable<JsonObject> Objects(JsonNode node)
    {
        if (node is JsonObject o)
        {
            yield return o;
            foreach (var child in o.Select(p => p.Value).OfType<JsonNode>().SelectMany(Objects))
            {
                yield return child;
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var child in a.OfType<JsonNode>().SelectMany(Objects))
            {
                yield return child;
            }
        }
    }

    private static IEnumerable<string> CollectSchemaStrings()
    {
        var strings = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Repository.Schemas, "*.json"))
        {
            Walk(JsonNode.Parse(File.ReadAllText(file))!, strings);
        }

        return strings;

        static void Walk(JsonNode node, SortedSet<string> into)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    if (key == "const" && value is JsonValue c && c.TryGetValue<string>(out var s))
                    {
                        into.Add(s);
                    }
                    else if (key == "enum" && value is JsonArray e)
                    {
                        into.UnionWith(e.OfType<JsonValue>().Select(x => x.TryGetValue<string>(out var t) ? t : null).OfType<string>());
                    }
                    else if (key == "properties" && value is JsonObject p)
                    {
                        into.UnionWith(p.Select(x => x.Key));
                    }

                    if (value is not null)
                    {
                        Walk(value, into);
                    }
                }
            }
            else if (node is JsonArray a)
            {
                foreach (var child in a.OfType<JsonNode>())
                {
                    Walk(child, into);
                }
            }
        }
    }

    private static IEnumerable<(string Schema, string Json)> Examples(string kind) =>
        Directory.GetDirectories(Repository.Examples).Order(StringComparer.Ordinal)
            .SelectMany(folder => Directory.GetFiles(Path.Combine(folder, kind), "*.json").Order(StringComparer.Ordinal)
                .Select(file => (Path.GetFileName(folder), File.ReadAllText(file))));
}
