using Microsoft.Extensions.DependencyInjection;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Registry;

public sealed class ToolRegistryTests
{
    [Fact]
    public void Two_tools_with_one_name_are_a_configuration_error_that_names_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ToolRegistry([new TimeTools.NowTool(), new MathEvaluateTool(), new TimeTools.NowTool()]));
        Assert.Equal("Two tools are registered as 'time.now'.", error.Message);
    }

    [Fact]
    public void Tools_are_found_by_their_exact_name_and_listed_in_name_order()
    {
        var registry = new ToolRegistry([new TimeTools.NowTool(), new MathEvaluateTool()]);

        Assert.Equal(["math.evaluate", "time.now"], registry.All.Select(t => t.Name));
        Assert.True(registry.TryGet("time.now", out var tool));
        Assert.IsType<TimeTools.NowTool>(tool);
        Assert.False(registry.TryGet("Time.Now", out _));
        Assert.False(registry.TryGet("time.now ", out _));
        Assert.False(registry.TryGet("", out _));
    }

    [Fact]
    public void An_empty_registry_has_no_tools()
    {
        var registry = new ToolRegistry([]);
        Assert.Empty(registry.All);
        Assert.False(registry.TryGet("time.now", out _));
        Assert.Throws<ArgumentNullException>(() => new ToolRegistry(null!));
    }

    [Fact]
    public async Task AddSomaTools_registers_each_built_in_tool_once_even_when_called_twice()
    {
        await using var host = await SqliteToolHost.StartAsync();
        Assert.Equal(["code.python", "files.list", "files.read", "files.write", "http.fetch", "math.evaluate", "session.search", "shell.run", "time.now"], host.Registry.All.Select(t => t.Name));

        var services = new ServiceCollection();
        services.AddSomaTools();
        services.AddSomaTools();
        Assert.Equal(9, services.Count(d => d.ServiceType == typeof(ITool)));
    }

    [Fact]
    public async Task Every_built_in_schema_is_a_closed_object()
    {
        await using var host = await SqliteToolHost.StartAsync();
        Assert.All(host.Registry.All, tool =>
        {
            Assert.Equal("object", tool.ParametersSchema.GetProperty("type").GetString());
            Assert.False(tool.ParametersSchema.GetProperty("additionalProperties").GetBoolean());
            Assert.False(string.IsNullOrWhiteSpace(tool.Description));
        });
    }
}
