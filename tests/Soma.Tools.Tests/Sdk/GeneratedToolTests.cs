using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Sdk;

/// <summary>
/// Tools written as methods with [Tool]: the schema and description the generator wrote from the signature and doc
/// comments, and the binding of the model's JSON arguments to the parameters.
/// </summary>
public sealed class GeneratedToolTests
{
    private const string AllArguments = """
        {"text":"hello","flag":true,"count":3,"big":9007199254740993,"ratio":0.25,"price":19.99,"units":"kelvin",
         "tags":["a","b"],"numbers":[1,2,3],"choices":["Metric","Imperial"],"code":"abc","maybe":7,"limit":9,
         "fallback":"Metric","greeting":"hey","weight":42.5}
        """;

    private static readonly ITool Kinds = new SampleTools.KindsTool();

    [Fact]
    public void The_schema_is_written_from_the_signature_the_param_docs_and_the_constraint_attributes()
    {
        var expected = JsonElement.Parse("""
            {"type":"object","properties":{
              "text":{"type":"string","description":"Some text.","maxLength":20,"minLength":2},
              "flag":{"type":"boolean","description":"A yes or no."},
              "count":{"type":"integer","description":"How many, 1 to 10.","minimum":1,"maximum":10},
              "big":{"type":"integer","description":"A large whole number."},
              "ratio":{"type":"number","description":"A share from 0 to 1.","minimum":0,"maximum":1},
              "price":{"type":"number","description":"An exact amount."},
              "units":{"type":"string","description":"The units to measure in.","enum":["Metric","Imperial","kelvin"]},
              "tags":{"type":"array","description":"One to three tags.","items":{"type":"string"},"minItems":1,"maxItems":3},
              "numbers":{"type":"array","description":"Some numbers.","items":{"type":"integer"}},
              "choices":{"type":"array","description":"Units to choose from.","items":{"type":"string","enum":["Metric","Imperial","kelvin"]}},
              "code":{"type":["string","null"],"description":"Lower-case letters only.","pattern":"^(?:[a-z]+)$"},
              "maybe":{"type":["integer","null"],"description":"A number, or nothing."},
              "limit":{"type":"integer","description":"At most this many.","default":5},
              "fallback":{"type":"string","description":"Units when others fail.","enum":["Metric","Imperial","kelvin"],"default":"kelvin"},
              "greeting":{"type":"string","description":"What to say first.","default":"hi"},
              "weight":{"type":"number","description":"A weight over 0, up to 100.","exclusiveMinimum":0,"maximum":100,"default":1.5}
            },
            "required":["text","flag","count","big","ratio","price","units","tags","numbers","choices"],
            "additionalProperties":false}
            """);
        Assert.True(JsonElement.DeepEquals(expected, Kinds.ParametersSchema), Kinds.ParametersSchema.GetRawText());
        Assert.Empty(MetaSchema.Errors(Kinds.ParametersSchema));
    }

    [Fact]
    public void Name_description_risk_and_sandbox_come_from_the_attribute_and_the_summary_and_returns()
    {
        Assert.Equal("test.kinds", Kinds.Name);
        Assert.Equal("Echoes every argument it was given as JSON. Returns: The arguments as bound, as JSON.", Kinds.Description);
        Assert.Equal("medium", Kinds.Risk);
        Assert.True(Kinds.Sandboxed);
        var greet = new SampleTools.GreetTool(new SampleTools(new SampleGreeting("Hello")));
        Assert.Equal("Greets someone.", greet.Description);
        Assert.Equal("low", greet.Risk);
        Assert.False(greet.Sandboxed);
    }

    [Fact]
    public async Task Every_kind_of_argument_is_bound_to_its_parameter()
    {
        var result = await ToolCalls.InvokeAsync(Kinds, AllArguments);
        Assert.False(result.IsError, result.Output);
        var expected = JsonElement.Parse("""
            {"tenant":"t-tools","text":"hello","flag":true,"count":3,"big":9007199254740993,"ratio":0.25,"price":19.99,
             "units":"Kelvin","tags":["a","b"],"numbers":[1,2,3],"choices":["Metric","Imperial"],"code":"abc","maybe":7,
             "limit":9,"fallback":"Metric","greeting":"hey","weight":42.5}
            """);
        Assert.True(JsonElement.DeepEquals(expected, JsonElement.Parse(result.Output)), result.Output);
    }

    [Fact]
    public async Task Absent_optional_arguments_take_their_defaults_and_null_is_absent()
    {
        var result = await ToolCalls.InvokeAsync(Kinds, """
            {"text":"hi","flag":false,"count":1,"big":-1,"ratio":1,"price":0,"units":"Metric","tags":["x"],"numbers":[],"choices":[],"code":null}
            """);
        Assert.False(result.IsError, result.Output);
        using var bound = JsonDocument.Parse(result.Output);
        var root = bound.RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("code").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("maybe").ValueKind);
        Assert.Equal(5, root.GetProperty("limit").GetInt32());
        Assert.Equal("Kelvin", root.GetProperty("fallback").GetString());
        Assert.Equal("hi", root.GetProperty("greeting").GetString());
        Assert.Equal(1.5m, root.GetProperty("weight").GetDecimal());
    }

    [Theory]
    [InlineData("[]", "The arguments must be a JSON object.")]
    [InlineData("""{"flag":true}""", "Argument 'text' is required.")]
    [InlineData("""{"text":5}""", "Argument 'text' must be a string.")]
    [InlineData("""{"text":"a","flag":"yes"}""", "Argument 'flag' must be true or false.")]
    [InlineData("""{"text":"a","flag":true,"count":1.5}""", "Argument 'count' must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"text":"a","flag":true,"count":1,"big":1,"ratio":0,"price":1,"units":"Celsius"}""", "Argument 'units' must be one of: Metric, Imperial, kelvin.")]
    [InlineData("""{"text":"a","flag":true,"count":1,"big":1,"ratio":0,"price":1,"units":"Metric","tags":["a",2]}""", "Argument 'tags[1]' must be a string.")]
    [InlineData("""{"text":"a","flag":true,"count":1,"big":1,"ratio":0,"price":1,"units":"Metric","tags":"a"}""", "Argument 'tags' must be an array.")]
    public async Task A_direct_call_with_a_wrong_argument_fails_naming_it(string arguments, string message)
    {
        var result = await ToolCalls.InvokeAsync(Kinds, arguments);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
        Assert.Equal(message, result.Output);
    }

    [Fact]
    public async Task An_instance_tool_uses_its_target_and_a_tool_failure_is_a_result()
    {
        var greet = new SampleTools.GreetTool(new SampleTools(new SampleGreeting("Hello")));
        Assert.Equal("Hello, Ada!", (await ToolCalls.InvokeAsync(greet, """{"name":"Ada"}""")).Output);
        var failed = await ToolCalls.InvokeAsync(greet, """{"name":"nobody"}""");
        Assert.Equal("test.nobody", failed.ErrorCode);
        Assert.Equal("Nobody cannot be greeted.", failed.Output);
    }

    [Fact]
    public async Task A_tool_that_returns_a_tool_result_returns_it_as_is()
    {
        var divide = new SampleTools.DivideTool();
        Assert.Equal("2.5", (await ToolCalls.InvokeAsync(divide, """{"dividend":5,"divisor":2}""")).Output);
        Assert.Equal("test.division_by_zero", (await ToolCalls.InvokeAsync(divide, """{"dividend":5,"divisor":0}""")).ErrorCode);
    }

    [Fact]
    public async Task A_streaming_tool_writes_each_chunk_as_it_comes_and_returns_them_all()
    {
        var output = new RecordingOutput();
        var result = await ToolCalls.InvokeAsync(new SampleTools.CountTool(), """{"upTo":3}""", ToolCalls.Context() with { Output = output });
        Assert.False(result.IsError);
        Assert.Equal("1\n2\n3\n", result.Output);
        Assert.Equal(["1\n", "2\n", "3\n"], output.Chunks);
    }

    [Fact]
    public async Task A_streaming_tool_that_fails_keeps_its_output_so_far()
    {
        var output = new RecordingOutput();
        var result = await ToolCalls.InvokeAsync(new SampleTools.CountTool(), """{"upTo":5,"failAt":3}""", ToolCalls.Context() with { Output = output });
        Assert.Equal("test.count_failed", result.ErrorCode);
        Assert.Equal("1\n2\n\nFailed at 3.", result.Output);
        Assert.Equal(["1\n", "2\n"], output.Chunks);

        var invalid = await ToolCalls.InvokeAsync(new SampleTools.CountTool(), """{"upTo":"three"}""");
        Assert.Equal("tool.invalid_arguments", invalid.ErrorCode);
        Assert.Equal("Argument 'upTo' must be an integer from -2147483648 to 2147483647.", invalid.Output);
    }

    [Fact]
    public void AddGeneratedTools_registers_each_tool_once_and_the_type_of_an_instance_tool()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new SampleGreeting("Hi"));
        services.AddGeneratedTools();
        services.AddGeneratedTools();
        using var provider = services.BuildServiceProvider();
        var tools = provider.GetServices<ITool>().ToList();
        Assert.Equal(["test.count", "test.divide", "test.greet", "test.kinds"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["test.count", "test.divide", "test.greet", "test.kinds"], GeneratedTools.Names);
        Assert.NotNull(provider.GetService<SampleTools>());
    }

    [Fact]
    public async Task Every_registered_tool_and_every_sample_has_a_schema_valid_against_the_2020_12_meta_schema()
    {
        await using var host = await SqliteToolHost.StartAsync();
        var tools = host.Registry.All.Concat([Kinds, new SampleTools.CountTool(), new SampleTools.DivideTool(), new TimeTools.NowTool()]).ToList();
        Assert.Contains(tools, t => t.Name == "session.search");
        Assert.All(tools, tool => Assert.True(MetaSchema.Errors(tool.ParametersSchema).Count == 0, $"{tool.Name}: {string.Join("; ", MetaSchema.Errors(tool.ParametersSchema))}"));
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"strnig"}}}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer","minimum":"one"}}}""")]
    [InlineData("""{"type":"object","required":"a"}""")]
    public void The_meta_schema_check_catches_a_broken_schema(string schema) =>
        Assert.NotEmpty(MetaSchema.Errors(JsonElement.Parse(schema)));

    private sealed class RecordingOutput : IToolOutput
    {
        public List<string> Chunks { get; } = [];

        public ValueTask WriteAsync(string chunk, CancellationToken cancellationToken)
        {
            Chunks.Add(chunk);
            return ValueTask.CompletedTask;
        }
    }
}
