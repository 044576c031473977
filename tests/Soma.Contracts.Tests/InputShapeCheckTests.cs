using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Json.Schema;
using Soma.Contracts.Schemas;
using Soma.Core.Turns;

namespace Soma.Contracts.Tests;

/// <summary>
/// A workflow's input is checked as JsonSchema.Net checks it (annotations off, so <c>format</c> is not asserted), and the
/// shape check, reading <c>format</c> as the annotation it then is, vouches for an input only when JsonSchema.Net finds it
/// valid. On the <c>chat.turn</c> input (the one every message's run carries) it vouches for nearly every valid input,
/// so JsonSchema.Net is left for the invalid ones.
/// </summary>
public sealed class InputShapeCheckTests
{
    private const string WithFormats = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["id", "when"],
          "properties": {
            "id": {"type": "string", "format": "uuid"},
            "when": {"type": "string", "format": "date-time", "maxLength": 40},
            "tags": {"type": "array", "items": {"type": "string", "format": "hostname", "maxLength": 3}, "maxItems": 2},
            "count": {"type": "integer", "minimum": 1}
          },
          "additionalProperties": false
        }
        """;

    private static readonly EvaluationOptions Flag = CreateFlag();

    private static readonly (string Schema, string[] Valid)[] Cases =
    [
        (ChatTurn.InputSchema, [
            """{"session_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","message_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","reply_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d"}""",
            """{"session_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","message_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","reply_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d","request_hash":"abc","subject":"alice","roles":["admin","user"]}""",
        ]),
        (WithFormats, ["""{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","when":"2026-12-07T10:00:00Z","tags":["ab"],"count":2}"""]),
    ];

    private static readonly JsonNode?[] Values =
    [
        null, true, false, 0, 1, -1, 2, 0.5, 1.0, JsonNode.Parse("2.0"), JsonNode.Parse("1e400"),
        "", "a", "ab", "abc", "abcd", "é", "e\u0301", "e\u0301e\u0301e\u0301", "\U0001F600", "a\\b", "not a uuid", "2026-13-45",
        new string('x', 40), new string('x', 41), new string('x', 200), new string('x', 201), new string('x', 500), new string('x', 501),
        new string('é', 200), new string('é', 201), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        new JsonObject(), new JsonArray(), new JsonArray("a"), new JsonArray("a", "b", "c"), new JsonArray(1), new JsonArray("abcd"),
    ];

    private static readonly string[] Names =
    [
        "session_id", "message_id", "reply_id", "request_hash", "subject", "roles", "id", "when", "tags", "count", "extra",
    ];

    [Fact]
    public void Valid_inputs_are_vouched_for_and_JsonSchema_Net_agrees()
    {
        foreach (var (schema, valid) in Cases)
        {
            var check = SchemaShapeCheck.TryCreate(JsonElement.Parse(schema), formatIsAnnotation: true);
            Assert.NotNull(check);
            foreach (var json in valid)
            {
                Assert.True(check.IsCertainlyValid(JsonElement.Parse(json)), json);
                Assert.True(Build(schema).Evaluate(JsonElement.Parse(json), Flag).IsValid, json);
            }
        }
    }

    [Fact]
    public void A_format_is_not_certain_unless_it_is_read_as_an_annotation()
    {
        var (schema, valid) = Cases[1];
        var strict = SchemaShapeCheck.TryCreate(JsonElement.Parse(schema));
        Assert.NotNull(strict);
        Assert.False(strict.IsCertainlyValid(JsonElement.Parse(valid[0])));
    }

    [Fact]
    public void Generated_inputs_are_vouched_for_only_when_JsonSchema_Net_finds_them_valid()
    {
        var checks = Cases.Select(c => SchemaShapeCheck.TryCreate(JsonElement.Parse(c.Schema), formatIsAnnotation: true)!).ToArray();
        var schemas = Cases.Select(c => Build(c.Schema)).ToArray();
        int valid = 0, vouched = 0, total = 0;
        Gen.Select(Gen.Int[0, Cases.Length - 1], Gen.Int[-1, 2], Gen.Int).Sample((index, count, seed) =>
        {
            var random = new Random(seed);
            var (_, examples) = Cases[index];
            // -1: any value at all; 0: an example as it is; 1, 2: an example changed that many times.
            var json = count < 0 ? Values[random.Next(Values.Length)]?.ToJsonString() ?? "null" : Mutate(examples[random.Next(examples.Length)], count, random);
            var element = JsonElement.Parse(json);
            var quick = checks[index].IsCertainlyValid(element);
            var runtime = schemas[index].Evaluate(element, Flag).IsValid;
            Assert.False(quick && !runtime, $"schema {index}: vouched for {json}, which JsonSchema.Net refuses");
            total++;
            valid += runtime ? 1 : 0;
            vouched += quick ? 1 : 0;
        }, iter: 20_000, threads: 1);

        // Both verdicts in number, and the evaluator left for few valid inputs (texts not plain ASCII near a limit).
        Assert.InRange(valid, total / 5, total - (total / 4));
        Assert.True(vouched >= valid * 0.9, $"vouched for {vouched} of {valid} valid inputs");
    }

    private static JsonSchema Build(string schema) =>
        JsonSchema.Build(JsonElement.Parse(schema), new BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry(), Dialect = Dialect.Draft202012 });

    private static EvaluationOptions CreateFlag()
    {
        // As a workflow's input is evaluated (CompiledInputSchema).
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        options.IgnoreAllAnnotations();
        return options;
    }

    private static string Mutate(string json, int count, Random random)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        for (var i = 0; i < count; i++)
        {
            if (random.Next(4) == 0 && root["roles"] is JsonArray roles)
            {
                roles.Add(JsonMutations.Pick(Values, random));
            }
            else
            {
                JsonMutations.ChangeField(root, random, Values, Names);
            }
        }

        return root.ToJsonString();
    }
}
