using Soma.Orchestration.Workflows;
using static Soma.Orchestration.Tests.Workflows.Steps;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>The registry finds a workflow by name and version, the highest version by default, and refuses duplicates.</summary>
public sealed class WorkflowRegistryTests
{
    [Fact]
    public void Without_a_version_the_highest_registered_is_found()
    {
        var registry = new WorkflowRegistry();
        registry.Register(Definition("chat", 1));
        registry.Register(Definition("chat", 3));
        registry.Register(Definition("chat", 2));
        registry.Register(Definition("ingest", 7));

        Assert.True(registry.TryGet("chat", null, out var latest));
        Assert.Equal(3, latest.Version);
        Assert.True(registry.TryGet("chat", 2, out var second));
        Assert.Equal(("chat", 2), (second.Name, second.Version));
        Assert.True(registry.TryGet("ingest", null, out var ingest));
        Assert.Equal(7, ingest.Version);
    }

    [Fact]
    public void Unknown_names_and_versions_are_not_found()
    {
        var registry = new WorkflowRegistry();
        registry.Register(Definition("chat", 1));

        Assert.False(registry.TryGet("chat", 2, out _));
        Assert.False(registry.TryGet("Chat", null, out _));
        Assert.False(registry.TryGet("other", null, out var missing));
        Assert.Null(missing);
    }

    [Fact]
    public void A_duplicate_name_and_version_is_refused()
    {
        var registry = new WorkflowRegistry();
        var first = Definition("chat", 2);
        registry.Register(first);

        var error = Assert.Throws<InvalidOperationException>(() => registry.Register(Definition("chat", 2)));

        Assert.Contains("'chat' v2", error.Message, StringComparison.Ordinal);
        Assert.True(registry.TryGet("chat", 2, out var kept));
        Assert.Same(first, kept);
    }

    [Fact]
    public void All_lists_every_definition_by_name_then_version()
    {
        var registry = new WorkflowRegistry();
        registry.Register(Definition("zeta", 1));
        registry.Register(Definition("alpha", 2));
        registry.Register(Definition("alpha", 1));

        Assert.Equal(["alpha v1", "alpha v2", "zeta v1"], registry.All.Select(d => d.ToString()));
    }

    [Fact]
    public void Concurrent_registrations_are_all_kept()
    {
        var registry = new WorkflowRegistry();

        Parallel.For(1, 201, version => registry.Register(Definition("chat", version)));

        Assert.Equal(200, registry.All.Count);
        Assert.True(registry.TryGet("chat", null, out var latest));
        Assert.Equal(200, latest.Version);
    }

    private static WorkflowDefinition Definition(string name, int version) => WorkflowDefinition.Create(name, version).Step("a", Noop).Build();
}
