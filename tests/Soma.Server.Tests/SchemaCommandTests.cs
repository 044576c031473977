using Soma.Testing;

namespace Soma.Server.Tests;

public sealed class SchemaCommandTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-schema-");

    public void Dispose() => _work.Delete(recursive: true);

    private static string Examples => Path.Combine(Path.GetDirectoryName(SomaProcess.SomaDll)!, "..", "..", "..", "..", "..", "schemas", "examples");

    [Fact]
    public async Task Every_valid_example_checks_clean_with_exit_0()
    {
        var files = Directory.GetDirectories(Examples).SelectMany(d => Directory.GetFiles(Path.Combine(d, "valid"), "*.json")).ToArray();
        Assert.NotEmpty(files);
        var (exitCode, stdout, stderr) = await SomaProcess.RunAsync(["schema", "check", .. files]);
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Equal(files.Length, stdout.Split('\n').Count(l => l.StartsWith("valid", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_invalid_event_exits_1_and_names_the_field_by_json_pointer()
    {
        var file = Path.Combine(_work.FullName, "bad.json");
        var valid = Directory.GetFiles(Path.Combine(Examples, "agent.steps.v1", "valid"), "*.json")[0];
        var text = (await File.ReadAllTextAsync(valid)).Replace("\"trace_id\"", "\"trace_id\": \"NOT-HEX\", \"ignored_trace\"", StringComparison.Ordinal);
        await File.WriteAllTextAsync(file, text);

        var (exitCode, stdout, _) = await SomaProcess.RunAsync(["schema", "check", file]);
        Assert.Equal(1, exitCode);
        Assert.Contains("INVALID", stdout, StringComparison.Ordinal);
        Assert.Contains("/trace_id", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdin_is_read_when_no_file_is_given()
    {
        var valid = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(Examples, "conversation.v1", "valid"), "*.json")[0]);
        var (exitCode, stdout, _) = await SomaProcess.RunAsync(["schema", "check"], stdin: valid);
        Assert.Equal(0, exitCode);
        Assert.Contains("<stdin>", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_naming_an_unknown_schema_is_invalid_at_slash_schema()
    {
        var (exitCode, stdout, _) = await SomaProcess.RunAsync(["schema", "check"], stdin: "{\"schema\":\"agent.unknown.v9\"}");
        Assert.Equal(1, exitCode);
        Assert.Contains("/schema", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    public async Task Input_that_is_not_json_exits_2(string content)
    {
        var file = Path.Combine(_work.FullName, "notjson.json");
        await File.WriteAllTextAsync(file, content);
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["schema", "check", file]);
        Assert.Equal(2, exitCode);
        Assert.Contains("notjson.json", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_exits_2_naming_it()
    {
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["schema", "check", Path.Combine(_work.FullName, "nope.json")]);
        Assert.Equal(2, exitCode);
        Assert.Contains("nope.json", stderr, StringComparison.Ordinal);
    }
}
