using Soma.Orchestration.Workflows;
using static Soma.Orchestration.Tests.Workflows.Steps;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>Run inputs are checked against the workflow's JSON Schema; errors name the field by JSON pointer.</summary>
public sealed class InputSchemaTests
{
    private const string Schema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["query"],
          "properties": {
            "query": {"type": "string", "minLength": 1},
            "options": {
              "type": "object",
              "required": ["mode"],
              "properties": {"limit": {"type": "integer", "maximum": 10}, "mode": {"enum": ["fast", "deep"]}}
            },
            "tags": {"type": "array", "items": {"type": "string"}},
            "a/b": {"type": "boolean"}
          },
          "additionalProperties": false
        }
        """;

    private static readonly WorkflowDefinition Search = WorkflowDefinition.Create("search", 1).Step("a", Noop).WithInputSchema(Schema).Build();

    [Fact]
    public void A_valid_input_has_no_errors()
    {
        Assert.Empty(Search.ValidateInput(ParseJson("""{"query":"durable agents","options":{"limit":3,"mode":"fast"},"tags":["x"]}""")));
    }

    [Fact]
    public void A_missing_required_field_is_named_by_its_pointer()
    {
        var errors = Search.ValidateInput(ParseJson("""{"options":{"limit":3}}"""));

        Assert.Equal(["/options/mode", "/query"], errors.Select(e => e.Pointer));
        Assert.Contains("'query'", errors[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"query":""}""", "/query")]
    [InlineData("""{"query":5}""", "/query")]
    [InlineData("""{"query":"q","options":{"mode":"fast","limit":"ten"}}""", "/options/limit")]
    [InlineData("""{"query":"q","options":{"mode":"fast","limit":11}}""", "/options/limit")]
    [InlineData("""{"query":"q","options":{"mode":"slow"}}""", "/options/mode")]
    [InlineData("""{"query":"q","tags":["a",2]}""", "/tags/1")]
    [InlineData("""{"query":"q","a/b":"yes"}""", "/a~1b")]
    [InlineData("""[]""", "")]
    public void A_wrong_value_is_named_by_its_pointer(string input, string pointer)
    {
        var error = Assert.Single(Search.ValidateInput(ParseJson(input)));

        Assert.Equal(pointer, error.Pointer);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void An_unexpected_field_is_named_and_said_to_be_not_allowed()
    {
        var error = Assert.Single(Search.ValidateInput(ParseJson("""{"query":"q","extra":1}""")));

        Assert.Equal(("/extra", "Field 'extra' is not allowed."), error);
    }

    [Fact]
    public void A_missing_input_is_an_error_at_the_root()
    {
        var error = Assert.Single(Search.ValidateInput(default));

        Assert.Equal("", error.Pointer);
    }

    [Fact]
    public void Without_a_schema_every_input_is_valid()
    {
        var definition = WorkflowDefinition.Create("free", 1).Step("a", Noop).Build();

        Assert.Null(definition.InputSchema);
        Assert.Empty(definition.ValidateInput(ParseJson("""[1,2,3]""")));
    }

    [Fact]
    public void The_schema_is_exposed_as_json()
    {
        Assert.NotNull(Search.InputSchema);
        Assert.Equal("object", Search.InputSchema.Value.GetProperty("type").GetString());
    }

    [Fact]
    public void Two_workflows_may_use_the_same_schema_id()
    {
        const string WithId = """{"$id":"https://soma.example/schemas/input","type":"object"}""";

        var first = WorkflowDefinition.Create("one", 1).Step("a", Noop).WithInputSchema(WithId).Build();
        var second = WorkflowDefinition.Create("two", 1).Step("a", Noop).WithInputSchema(WithId.Replace("object", "array", StringComparison.Ordinal)).Build();

        Assert.Empty(first.ValidateInput(ParseJson("{}")));
        Assert.Empty(second.ValidateInput(ParseJson("[]")));
        Assert.Single(second.ValidateInput(ParseJson("{}")));
    }
}
