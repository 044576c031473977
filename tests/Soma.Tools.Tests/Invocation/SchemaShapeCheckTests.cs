using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;
using Soma.Contracts.Schemas;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Invocation;

/// <summary>
/// The shape check vouches for arguments only when the schema evaluator (JsonSchema.Net, draft 2020-12) finds them valid,
/// and, for the flat schemas the tool SDK writes, vouches for every valid call, so the evaluator is left for invalid ones.
/// </summary>
public sealed class SchemaShapeCheckTests
{
    private static readonly string[] Names = ["a", "b", "count", "mode", "tags", "x"];

    [Fact]
    public void On_the_schemas_the_sdk_writes_it_agrees_with_the_evaluator_on_every_call()
    {
        Gen.Int.Sample(seed =>
        {
            var random = new Random(seed);
            var schema = Schema(random, wild: false);
            var check = SchemaShapeCheck.TryCreate(schema) ?? throw new InvalidOperationException($"No shape check for {schema}");
            var evaluator = Evaluator(schema);
            for (var i = 0; i < 20; i++)
            {
                var arguments = Arguments(random, schema, wild: false);
                var valid = evaluator.Evaluate(arguments, Flag).IsValid;
                Assert.True(valid == check.IsCertainlyValid(arguments), $"evaluator says {(valid ? "valid" : "invalid")} for {arguments} under {schema}");
            }
        }, iter: 400);
    }

    [Fact]
    public void On_any_schema_and_any_arguments_it_never_vouches_for_what_the_evaluator_refuses()
    {
        var vouched = 0;
        Gen.Int.Sample(seed =>
        {
            var random = new Random(seed);
            var schema = Schema(random, wild: true);
            var check = SchemaShapeCheck.TryCreate(schema);
            if (check is null)
            {
                return;
            }

            var evaluator = Evaluator(schema);
            for (var i = 0; i < 20; i++)
            {
                var arguments = Arguments(random, schema, wild: true);
                if (check.IsCertainlyValid(arguments))
                {
                    Interlocked.Increment(ref vouched);
                    Assert.True(evaluator.Evaluate(arguments, Flag).IsValid, $"vouched for {arguments} under {schema}, which the evaluator refuses");
                }
            }
        }, iter: 600);

        // Wild arguments are mostly invalid; enough are vouched for (about 60 in 12,000) that this is not only refusals.
        Assert.True(vouched > 20, $"only {vouched} calls vouched for");
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"s":{"type":"string","pattern":"^a"}},"additionalProperties":false}""", """{"s":"b"}""")]
    [InlineData("""{"type":"object","properties":{"s":{"type":"string","maxLength":1}}}""", """{"s":"\ud83d\ude00"}""")]
    [InlineData("""{"type":"object","properties":{"n":{"type":"integer"}}}""", """{"n":1e400}""")]
    [InlineData("""{"type":"object","properties":{"n":{"type":"number","exclusiveMaximum":0.3}}}""", """{"n":0.29999999999999999}""")]
    [InlineData("""{"type":"object","properties":{"o":{"type":"object","properties":{"k":{"type":"string"}}}}}""", """{"o":{"k":1}}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}""", """{"a":"x","a":"y"}""")]
    public void What_it_cannot_be_sure_of_is_left_to_the_evaluator(string schema, string arguments)
    {
        var check = SchemaShapeCheck.TryCreate(JsonElement.Parse(schema));
        Assert.NotNull(check);
        Assert.False(check.IsCertainlyValid(JsonElement.Parse(arguments)));
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"string"}}}""")]
    [InlineData("""{"type":"object","properties":{},"additionalProperties":{"type":"string"}}""")]
    [InlineData("""{"type":"object","allOf":[{"required":["a"]}]}""")]
    [InlineData("""{"type":["object","null"]}""")]
    [InlineData("""{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}""")]
    public void A_schema_whose_top_it_does_not_cover_has_no_shape_check(string schema) =>
        Assert.Null(SchemaShapeCheck.TryCreate(JsonElement.Parse(schema)));

    [Fact]
    public async Task Every_tool_the_platform_registers_gets_a_shape_check()
    {
        await using var host = await SqliteToolHost.StartAsync();
        var tools = host.Services.GetServices<ITool>().ToList();
        Assert.Contains(tools, t => t.Name == "time.now");
        Assert.Contains(tools, t => t.Name == "shell.run");
        Assert.All(tools, tool => Assert.True(SchemaShapeCheck.TryCreate(tool.ParametersSchema) is not null, $"{tool.Name}: {tool.ParametersSchema}"));
    }

    private static readonly EvaluationOptions Flag = new() { OutputFormat = OutputFormat.Flag };

    private static JsonSchema Evaluator(JsonElement schema) =>
        JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry(), Dialect = Dialect.Draft202012 });

    // A flat object schema as the SDK writes them; "wild" adds what the check must leave to the evaluator.
    private static JsonElement Schema(Random random, bool wild)
    {
        var text = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        var names = Names.Where(_ => random.Next(3) > 0).ToList();
        text.Append(string.Join(",", names.Select(name => $"\"{name}\":{Property(random, wild, depth: 0)}")));
        text.Append('}');
        var required = names.Where(_ => random.Next(2) == 0).ToList();
        if (wild && random.Next(6) == 0)
        {
            required.Add("unlisted");
        }

        if (required.Count > 0)
        {
            text.Append(",\"required\":[").Append(string.Join(",", required.Select(n => $"\"{n}\""))).Append(']');
        }

        switch (random.Next(3))
        {
            case 0: text.Append(",\"additionalProperties\":false"); break;
            case 1: text.Append(",\"additionalProperties\":true"); break;
        }

        return JsonElement.Parse(text.Append('}').ToString());
    }

    private static string Property(Random random, bool wild, int depth)
    {
        var parts = new List<string>();
        var nullable = random.Next(4) == 0;
        string Type(string name) => nullable ? $"[\"{name}\",\"null\"]" : $"\"{name}\"";
        switch (random.Next(wild ? 7 : 6))
        {
            case 0:
                parts.Add("\"type\":" + Type("string"));
                if (random.Next(2) == 0)
                {
                    parts.Add($"\"minLength\":{random.Next(0, 3)}");
                }

                if (random.Next(2) == 0)
                {
                    parts.Add($"\"maxLength\":{random.Next(0, 6)}");
                }

                if (wild && random.Next(3) == 0)
                {
                    parts.Add(random.Next(2) == 0 ? "\"pattern\":\"^a\"" : "\"format\":\"uri\"");
                }

                break;
            case 1:
                parts.Add("\"type\":" + Type("string"));
                var values = new[] { "low", "high", "é", "a\\\"b" }.Where(_ => random.Next(2) == 0).DefaultIfEmpty("low").Select(v => $"\"{v}\"").ToList();
                if (nullable)
                {
                    values.Add("null");
                }

                parts.Add($"\"enum\":[{string.Join(",", values)}]");
                break;
            case 2:
            case 3:
                parts.Add("\"type\":" + Type(random.Next(2) == 0 ? "integer" : "number"));
                foreach (var bound in new[] { "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" })
                {
                    if (random.Next(3) == 0)
                    {
                        parts.Add($"\"{bound}\":{Number(random, wild: false)}");
                    }
                }

                break;
            case 4:
                parts.Add("\"type\":" + Type("boolean"));
                break;
            case 5:
                parts.Add("\"type\":" + Type("array"));
                parts.Add("\"items\":" + (depth < 1 ? Property(random, wild, depth + 1) : "{\"type\":\"string\"}"));
                if (random.Next(2) == 0)
                {
                    parts.Add($"\"minItems\":{random.Next(0, 2)}");
                }

                if (random.Next(2) == 0)
                {
                    parts.Add($"\"maxItems\":{random.Next(0, 4)}");
                }

                break;
            default:
                parts.Add(random.Next(2) == 0
                    ? "\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},\"required\":[\"k\"]"
                    : "\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]");
                break;
        }

        if (random.Next(3) == 0)
        {
            parts.Add("\"description\":\"what it is\"");
        }

        return "{" + string.Join(",", parts) + "}";
    }

    private static JsonElement Arguments(Random random, JsonElement schema, bool wild)
    {
        var described = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        var members = new List<string>();
        foreach (var name in described.Concat(["unlisted", "other"]))
        {
            if (random.Next(described.Contains(name) ? 4 : 8) > 0 && (described.Contains(name) || random.Next(3) == 0))
            {
                members.Add($"\"{name}\":{Value(random, wild, depth: 0)}");
            }
        }

        if (wild && members.Count > 0 && random.Next(10) == 0)
        {
            members.Add(members[0]);
        }

        return JsonElement.Parse("{" + string.Join(",", members) + "}");
    }

    private static string Value(Random random, bool wild, int depth) => random.Next(wild ? 9 : 8) switch
    {
        0 or 1 => "\"" + new[] { "", "a", "low", "high", "é", "abcde", "abcdef", "a\\\"b", "ab\\u00e9" }[random.Next(9)] + "\"",
        2 or 3 => Number(random, wild),
        4 => random.Next(2) == 0 ? "true" : "false",
        5 => "null",
        6 => depth < 2 ? "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 5)).Select(_ => Value(random, wild, depth + 1))) + "]" : "[]",
        7 => random.Next(2) == 0 ? "{}" : "{\"k\":\"v\"}",
        _ => new[] { "\"\\ud83d\\ude00\"", "1e400", "0.29999999999999999", "\"a\\ud800\"", "123456789012345678901234567890", "\"\\r\\n\"", "\"\\ud83d\\udc4d\\ud83c\\udffd\"", "\"ab\\u0301c\"", "1e2", "-0", "2.50E-1", "1E+0" }[random.Next(12)],
    };

    private static string Number(Random random, bool wild)
    {
        var whole = random.Next(-3, 4);
        return random.Next(3) switch
        {
            0 => whole.ToString(CultureInfo.InvariantCulture),
            1 => (whole + (random.Next(1, 10) / 10m)).ToString(CultureInfo.InvariantCulture),
            _ => wild ? whole.ToString("0.0", CultureInfo.InvariantCulture) : whole.ToString(CultureInfo.InvariantCulture),
        };
    }
}
