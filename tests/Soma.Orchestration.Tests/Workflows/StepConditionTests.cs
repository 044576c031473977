using System.Text.Json;
using Soma.Orchestration.Workflows;
using static Soma.Orchestration.Tests.Workflows.Steps;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>Conditions decide from the run input and the outputs of dependencies whether a step runs.</summary>
public sealed class StepConditionTests
{
    private static readonly WorkflowDefinition Routing = WorkflowDefinition.Create("route", 1)
        .Step("classify", Noop)
        .Step("search", Noop, o => o.After("classify").When(c => c.Outputs["classify"].GetProperty("kind").GetString() == "question"))
        .Step("chat", Noop, o => o.After("classify").When(c => c.Outputs["classify"].GetProperty("kind").GetString() != "question"))
        .Step("answer", Noop, o => o.After("search", "chat"))
        .Build();

    [Theory]
    [InlineData("question", true, false)]
    [InlineData("smalltalk", false, true)]
    public void Conditions_are_evaluated_from_the_outputs_of_dependencies(string kind, bool search, bool chat)
    {
        var context = Context(("classify", $$"""{"kind":"{{kind}}"}"""));

        Assert.Equal(search, Step("search").ShouldRun(context));
        Assert.Equal(chat, Step("chat").ShouldRun(context));
    }

    [Fact]
    public void A_step_without_a_condition_always_runs()
    {
        Assert.Null(Step("answer").Condition);
        Assert.True(Step("answer").ShouldRun(Context()));
    }

    [Fact]
    public void Conditions_can_read_the_run_input_and_the_loop_iteration()
    {
        var definition = WorkflowDefinition.Create("demo", 1)
            .Loop("tools", 5, body => body.Step("call", Noop, o => o.When(c => c.LoopIteration < c.Input.GetProperty("budget").GetInt32())), _ => true)
            .Build();
        var call = definition.Loops[0].Body[0];
        var input = ParseJson("""{"budget":2}""");

        Assert.True(call.ShouldRun(new StepConditionContext(input, new Dictionary<string, JsonElement>(), 1)));
        Assert.False(call.ShouldRun(new StepConditionContext(input, new Dictionary<string, JsonElement>(), 2)));
    }

    [Fact]
    public void Several_conditions_must_all_hold()
    {
        var definition = WorkflowDefinition.Create("demo", 1)
            .Step("a", Noop, o => o.When(c => c.Input.GetProperty("x").GetBoolean()).When(c => c.Input.GetProperty("y").GetBoolean()))
            .Build();
        var step = definition.Steps[0];

        Assert.True(step.ShouldRun(new StepConditionContext(ParseJson("""{"x":true,"y":true}"""), new Dictionary<string, JsonElement>())));
        Assert.False(step.ShouldRun(new StepConditionContext(ParseJson("""{"x":true,"y":false}"""), new Dictionary<string, JsonElement>())));
        Assert.False(step.ShouldRun(new StepConditionContext(ParseJson("""{"x":false,"y":true}"""), new Dictionary<string, JsonElement>())));
    }

    [Fact]
    public void A_loop_continues_while_its_condition_holds_on_the_iteration_outputs()
    {
        var definition = WorkflowDefinition.Create("demo", 1)
            .Loop("tools", 10, body => body.Step("model", Noop), c => c.Outputs["model"].GetProperty("toolCalls").GetArrayLength() > 0)
            .Build();
        var loop = definition.Loops[0];

        Assert.True(loop.ContinueWhile(new StepConditionContext(EmptyInput, new Dictionary<string, JsonElement> { ["model"] = ParseJson("""{"toolCalls":[{"name":"web.search"}]}""") })));
        Assert.False(loop.ContinueWhile(new StepConditionContext(EmptyInput, new Dictionary<string, JsonElement> { ["model"] = ParseJson("""{"toolCalls":[]}""") })));
    }

    private static StepDefinition Step(string id) => Routing.TryGetStep(id, out var step) ? step : throw new InvalidOperationException(id);

    private static StepConditionContext Context(params (string Id, string Json)[] outputs) =>
        new(EmptyInput, outputs.ToDictionary(o => o.Id, o => ParseJson(o.Json)));
}
