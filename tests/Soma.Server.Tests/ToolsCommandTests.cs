using System.Text.Json;
using Json.Schema;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma tools list</c> as a real process: every registered tool with its schema, risk and sandbox profile.</summary>
public sealed class ToolsCommandTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("soma-tools-cli-");

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public async Task Json_lists_every_registered_tool_with_its_schema_risk_and_sandbox_without_touching_the_store()
    {
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["tools", "list", "--json", "--data", _data.FullName]);
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var tools = json.RootElement.EnumerateArray().ToList();
        var names = tools.Select(t => t.GetProperty("name").GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "math.evaluate", "memory.recall", "session.search", "time.now" });

        // Every tool the server registers, hand-written or generated, has a schema valid under the 2020-12 meta-schema.
        Assert.All(tools, tool =>
        {
            var result = MetaSchemas.Draft202012.Evaluate(tool.GetProperty("schema"), new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{tool.GetProperty("name").GetString()}: {JsonSerializer.Serialize(result)}");
            Assert.False(string.IsNullOrWhiteSpace(tool.GetProperty("description").GetString()));
            Assert.Contains(tool.GetProperty("risk").GetString(), (string[])["low", "medium", "high"]);
        });

        var now = tools.Single(t => t.GetProperty("name").GetString() == "time.now");
        Assert.StartsWith("The current date and time (ISO 8601)", now.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("low", now.GetProperty("risk").GetString());
        Assert.Equal("none", now.GetProperty("sandbox").GetString());
        // A sandboxed tool names the profile it runs in: the default unless Soma:Sandbox:Tools chooses another.
        Assert.Equal("bubblewrap", tools.Single(t => t.GetProperty("name").GetString() == "shell.run").GetProperty("sandbox").GetString());
        Assert.Equal("high", tools.Single(t => t.GetProperty("name").GetString() == "shell.run").GetProperty("risk").GetString());
        var schema = now.GetProperty("schema");
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.True(schema.GetProperty("properties").TryGetProperty("timezone", out _));
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(20, tools.Single(t => t.GetProperty("name").GetString() == "session.search").GetProperty("schema").GetProperty("properties").GetProperty("limit").GetProperty("maximum").GetInt32());

        // Listing needs the configuration only: no database is created in the data directory.
        Assert.Empty(_data.GetFiles("soma.db*"));
    }

    [Fact]
    public async Task Text_lists_each_tool_with_its_risk_sandbox_description_and_schema()
    {
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["tools", "list", "--data", _data.FullName]);
        Assert.True(code == 0, stderr);
        Assert.Contains("time.now  (risk: low, sandbox: none)", stdout, StringComparison.Ordinal);
        Assert.Contains("    Evaluates an arithmetic expression", stdout, StringComparison.Ordinal);
        Assert.Contains("    schema: {\"type\":\"object\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_configuration_value_exits_non_zero_naming_the_key()
    {
        var (code, _, stderr) = await SomaProcess.RunAsync(["tools", "list", "--data", _data.FullName], new Dictionary<string, string> { ["SOMA__TOOLS__ALLOW__0"] = "time.now" });
        Assert.NotEqual(0, code);
        Assert.Contains("Soma:Tools:Allow", stderr, StringComparison.Ordinal);
    }
}
