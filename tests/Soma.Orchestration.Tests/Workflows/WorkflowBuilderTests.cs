using Soma.Orchestration.Workflows;
using static Soma.Orchestration.Tests.Workflows.Steps;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>Build() refuses every invalid declaration with a message that names the problem.</summary>
public sealed class WorkflowBuilderTests
{
    [Fact]
    public void A_cycle_is_refused_naming_the_cycle()
    {
        var builder = WorkflowDefinition.Create("demo", 1)
            .Step("start", Noop)
            .Step("a", Noop, o => o.After("start", "c"))
            .Step("b", Noop, o => o.After("a"))
            .Step("c", Noop, o => o.After("b"));

        var error = Refused(builder);

        Assert.Contains("Dependency cycle: a -> c -> b -> a", error.Message, StringComparison.Ordinal);
        Assert.Contains("'demo' v1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_that_depends_on_itself_is_a_cycle()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Step("a", Noop, o => o.After("a")));

        Assert.Contains("Dependency cycle: a -> a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_inside_a_loop_body_is_refused_naming_the_loop_and_the_cycle()
    {
        var builder = WorkflowDefinition.Create("demo", 1)
            .Loop("tools", 3, body => body
                .Step("call", Noop, o => o.After("check"))
                .Step("check", Noop, o => o.After("call")), _ => false);

        var error = Refused(builder);

        Assert.Contains("Dependency cycle in loop 'tools': call -> check -> call", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_id_is_refused_naming_the_id()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Step("fetch", Noop).Step("fetch", Noop));

        Assert.Contains("Duplicate id 'fetch'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ids_are_unique_across_loop_bodies_too()
    {
        // Effect keys use the step definition id, so a body step named like a top-level step would share its keys.
        var builder = WorkflowDefinition.Create("demo", 1)
            .Step("call", Noop)
            .Loop("tools", 2, body => body.Step("call", Noop), _ => false);

        var error = Refused(builder);

        Assert.Contains("Duplicate id 'call': step 'call' and step 'call' of loop 'tools'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loop_may_not_share_an_id_with_a_step()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Step("tools", Noop).Loop("tools", 2, body => body.Step("call", Noop), _ => false));

        Assert.Contains("Duplicate id 'tools': step 'tools' and loop 'tools'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_dependency_is_refused_naming_it()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Step("answer", Noop, o => o.After("recall")));

        Assert.Contains("Step 'answer' depends on unknown step 'recall'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_dependency_of_a_loop_is_refused_naming_it()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Loop("tools", 2, body => body.Step("call", Noop), _ => false, o => o.After("plan")));

        Assert.Contains("Loop 'tools' depends on unknown step 'plan'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_workflow_is_refused()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1));

        Assert.Contains("The workflow is empty", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Fetch")]
    [InlineData("1fetch")]
    [InlineData("_fetch")]
    [InlineData("")]
    [InlineData("fetch data")]
    [InlineData("fetch.data")]
    [InlineData("fetch/data")]
    [InlineData("fetch[0]")]
    [InlineData("fetch\n")]
    [InlineData("fétch")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public void A_bad_id_is_refused_naming_it_and_the_rule(string id)
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Step(id, Noop));

        Assert.Contains($"step '{id}' does not match ^[a-z][a-z0-9_-]{{0,62}}$", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_loop_id_and_a_bad_body_step_id_are_refused()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Loop("Tools", 2, body => body.Step("Call", Noop), _ => false));

        Assert.Contains("loop 'Tools' does not match", error.Message, StringComparison.Ordinal);
        Assert.Contains("step 'Call' of loop 'Tools' does not match", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("fetch_2-b")]
    [InlineData("a12345678901234567890123456789012345678901234567890123456789012")]
    public void Good_ids_are_accepted(string id)
    {
        var definition = WorkflowDefinition.Create("demo", 1).Step(id, Noop).Build();

        Assert.Equal(id, Assert.Single(definition.Steps).Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void A_loop_bound_outside_1_to_1000_is_refused_naming_the_loop(int maxIterations)
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Loop("tools", maxIterations, body => body.Step("call", Noop), _ => false));

        Assert.Contains($"Loop 'tools' has MaxIterations {maxIterations}; it must be between 1 and 1000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void Loop_bounds_1_and_1000_are_accepted(int maxIterations)
    {
        var definition = WorkflowDefinition.Create("demo", 1).Loop("tools", maxIterations, body => body.Step("call", Noop), _ => false).Build();

        Assert.Equal(maxIterations, Assert.Single(definition.Loops).MaxIterations);
    }

    [Fact]
    public void A_loop_without_steps_is_refused()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Loop("tools", 2, _ => { }, _ => false));

        Assert.Contains("Loop 'tools' has no steps", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loop_refuses_step_only_options_rather_than_ignoring_them()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Loop("tools", 2, body => body.Step("call", Noop), _ => false, o => o.SideEffecting()));

        Assert.Contains("Loop 'tools' sets When, SideEffecting or WithPolicy", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json", "The input schema is invalid")]
    [InlineData("""{"type":"strin"}""", "strin")]
    [InlineData("""{"minLength":"x"}""", "minLength")]
    [InlineData("[]", "The input schema is invalid")]
    [InlineData("""{"$ref":"#/nowhere"}""", "nowhere")]
    public void An_invalid_input_schema_is_refused_saying_why(string schema, string expected)
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Step("a", Noop).WithInputSchema(schema));

        Assert.Contains("The input schema is invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_top_level_step_cannot_depend_on_a_step_inside_a_loop()
    {
        var builder = WorkflowDefinition.Create("demo", 1)
            .Loop("tools", 2, body => body.Step("call", Noop), _ => false)
            .Step("answer", Noop, o => o.After("call"));

        var error = Refused(builder);

        Assert.Contains("Step 'answer' depends on 'call', which is inside loop 'tools'; depend on the loop 'tools' instead", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_step_may_depend_on_what_its_loop_runs_after_but_nothing_else_outside()
    {
        var allowed = WorkflowDefinition.Create("demo", 1)
            .Step("recall", Noop)
            .Step("plan", Noop, o => o.After("recall"))
            .Loop("tools", 2, body => body.Step("call", Noop, o => o.After("recall")), _ => false, o => o.After("plan"))
            .Build();
        Assert.Equal(["recall"], allowed.Loops[0].Body[0].DependsOn);

        var refused = Refused(WorkflowDefinition.Create("demo", 1)
            .Step("recall", Noop)
            .Loop("tools", 2, body => body.Step("call", Noop, o => o.After("recall")), _ => false));
        Assert.Contains("Step 'call' of loop 'tools' depends on 'recall', which loop 'tools' does not run after; add it to the loop's After(...)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_step_cannot_depend_on_its_own_loop()
    {
        var error = Refused(WorkflowDefinition.Create("demo", 1).Loop("tools", 2, body => body.Step("call", Noop, o => o.After("tools")), _ => false));

        Assert.Contains("Step 'call' of loop 'tools' depends on its own loop", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_whose_cap_is_below_its_base_is_refused()
    {
        var policy = new StepPolicy { BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(1) };

        var error = Refused(WorkflowDefinition.Create("demo", 1).Step("a", Noop, o => o.WithPolicy(policy)));

        Assert.Contains("Step 'a' has a policy whose MaxDelay", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var builder = WorkflowDefinition.Create("demo", 1)
            .Step("Bad", Noop)
            .Step("a", Noop, o => o.After("missing"))
            .Loop("tools", 0, body => body.Step("call", Noop), _ => false);

        var error = Refused(builder);

        Assert.Equal(3, error.Problems.Count);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void Create_refuses_a_bad_name_or_version()
    {
        Assert.Throws<ArgumentException>(() => WorkflowDefinition.Create(" ", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkflowDefinition.Create(new string('a', 201), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkflowDefinition.Create("demo", 0));
    }

    [Fact]
    public void The_built_definition_holds_what_was_declared()
    {
        var policy = new StepPolicy(MaxAttempts: 5, Timeout: TimeSpan.FromSeconds(10));
        var definition = WorkflowDefinition.Create("chat", 2)
            .Step("recall", Noop)
            .Step("charge", Noop, o => o.After("recall").SideEffecting().WithPolicy(policy))
            .Loop("tools", 4, body => body.Step("call", Noop).Step("check", Noop, o => o.After("call")), _ => true, o => o.After("recall"))
            .Build();

        Assert.Equal(("chat", 2), (definition.Name, definition.Version));
        Assert.Equal(["recall", "charge"], definition.Steps.Select(s => s.Id));
        Assert.True(definition.TryGetStep("charge", out var charge));
        Assert.True(charge.HasSideEffects);
        Assert.Same(policy, charge.Policy);
        Assert.False(definition.Steps[0].HasSideEffects);
        Assert.Equal(StepPolicy.Default, definition.Steps[0].Policy);
        Assert.Null(definition.Steps[0].LoopId);

        Assert.True(definition.TryGetLoop("tools", out var loop));
        Assert.Equal(["recall"], loop.DependsOn);
        Assert.True(definition.TryGetStep("check", out var check));
        Assert.Equal("tools", check.LoopId);
        Assert.Equal("tools[3]/check", check.KeyFor(3));
        Assert.False(definition.TryGetStep("tools", out _));
        Assert.Null(definition.InputSchema);
    }
}
