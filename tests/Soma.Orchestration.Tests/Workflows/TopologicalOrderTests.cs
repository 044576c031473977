using Soma.Orchestration.Workflows;
using static Soma.Orchestration.Tests.Workflows.Steps;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>TopologicalOrder puts every node after its dependencies, loops included, and is stable.</summary>
public sealed class TopologicalOrderTests
{
    [Fact]
    public void The_order_follows_dependencies_not_declaration()
    {
        var definition = WorkflowDefinition.Create("demo", 1)
            .Step("answer", Noop, o => o.After("model"))
            .Step("model", Noop, o => o.After("recall"))
            .Step("recall", Noop)
            .Build();

        Assert.Equal(["recall", "model", "answer"], definition.TopologicalOrder);
    }

    [Fact]
    public void Independent_steps_keep_their_declaration_order()
    {
        var definition = WorkflowDefinition.Create("demo", 1).Step("zeta", Noop).Step("alpha", Noop).Step("mid", Noop).Build();

        Assert.Equal(["zeta", "alpha", "mid"], definition.TopologicalOrder);
    }

    [Fact]
    public void Loops_are_nodes_of_the_order_and_their_bodies_have_their_own()
    {
        var definition = WorkflowDefinition.Create("chat", 1)
            .Step("answer", Noop, o => o.After("tools"))
            .Loop("tools", 5, body => body
                .Step("result", Noop, o => o.After("call"))
                .Step("call", Noop, o => o.After("policy"))
                .Step("policy", Noop), _ => false, o => o.After("model"))
            .Step("model", Noop)
            .Build();

        Assert.Equal(["model", "tools", "answer"], definition.TopologicalOrder);
        Assert.Equal(["policy", "call", "result"], Assert.Single(definition.Loops).TopologicalOrder);
        Assert.Equal(["answer", "model"], definition.Steps.Select(s => s.Id));
    }

    [Fact]
    public void Fan_out_then_fan_in()
    {
        var definition = WorkflowDefinition.Create("demo", 1)
            .Step("merge", Noop, o => o.After("web", "memory", "files"))
            .Step("web", Noop, o => o.After("plan"))
            .Step("memory", Noop, o => o.After("plan"))
            .Step("files", Noop, o => o.After("plan"))
            .Step("plan", Noop)
            .Build();

        Assert.Equal(["plan", "web", "memory", "files", "merge"], definition.TopologicalOrder);
        Assert.Equal(["web", "memory", "files"], definition.Steps[0].DependsOn);
    }

    [Fact]
    public void A_diamond_runs_its_join_once_after_both_branches()
    {
        var definition = WorkflowDefinition.Create("demo", 1)
            .Step("a", Noop)
            .Step("b", Noop, o => o.After("a"))
            .Step("c", Noop, o => o.After("a"))
            .Step("d", Noop, o => o.After("b").After("c", "b"))
            .Build();

        Assert.Equal(["a", "b", "c", "d"], definition.TopologicalOrder);
        Assert.Equal(["b", "c"], definition.Steps[3].DependsOn);
    }

    [Fact]
    public void Every_node_comes_after_its_dependencies_in_random_dags()
    {
        var random = new Random(20260501);
        for (var graph = 0; graph < 200; graph++)
        {
            var count = random.Next(1, 30);
            var ids = Enumerable.Range(0, count).Select(i => $"n{i}").ToList();
            var deps = ids.ToDictionary(id => id, id => ids.Take(ids.IndexOf(id)).Where(_ => random.NextDouble() < 0.2).ToArray());

            // Declared in a shuffled order so that declaration order alone would not be valid.
            var builder = WorkflowDefinition.Create("random", 1);
            foreach (var id in ids.OrderBy(_ => random.Next()))
            {
                builder.Step(id, Noop, o => o.After(deps[id]));
            }

            var order = builder.Build().TopologicalOrder;

            Assert.Equal(ids.Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
            foreach (var id in ids)
            {
                Assert.All(deps[id], dep => Assert.True(Index(order, dep) < Index(order, id), $"graph {graph}: {dep} must come before {id}"));
            }
        }
    }

    private static int Index(IReadOnlyList<string> order, string id) => order.ToList().IndexOf(id);
}
