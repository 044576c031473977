using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Soma.Tools.Registry;
using Soma.Tools.Sandbox;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma tools list</c>: every tool this build registers, with its description, argument schema, risk and sandbox
/// profile. The registry comes from the server's own services and configuration; nothing is started, and the store is
/// neither opened nor created.
/// </summary>
internal static class ToolsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var json = new Option<bool>("--json") { Description = "Print the tools as a JSON array." };
        var list = new Command("list", "List every tool: description, argument schema (JSON Schema), risk and sandbox profile.") { data, json };
        list.SetAction(parse => ListAsync(parse.GetValue(data), parse.GetValue(json)));
        return new Command("tools", "The tools agents can call.") { list };
    }

    /// <summary>Where a tool runs: <c>none</c> is in-process; a sandboxed tool runs in the profile <c>Soma:Sandbox</c> chooses for it.</summary>
    public static string SandboxProfile(ITool tool, ToolSandboxes sandboxes)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(sandboxes);
        return tool.Sandboxed ? sandboxes.For(tool.Name).Name : "none";
    }

    private static async Task<int> ListAsync(string? dataDir, bool asJson)
    {
        if (CliHost.Build(dataDir, out var exitCode) is not { } app)
        {
            return exitCode;
        }

        await using (app)
        {
            List<ITool> tools;
            ToolSandboxes sandboxes;
            try
            {
                // The same checks as a start, so what is listed is what `soma serve` would run (or why it would not start).
                app.Services.GetRequiredService<IStartupValidator>().Validate();
                tools = [.. app.Services.GetRequiredService<ToolRegistry>().All];
                sandboxes = app.Services.GetRequiredService<ToolSandboxes>();
            }
            catch (Exception ex) when (ServeCommand.ConfigurationFailures(ex) is { } failures)
            {
                return ServeCommand.ConfigurationError(failures);
            }

            if (asJson)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(
                    tools.Select(t => new { name = t.Name, description = t.Description, risk = t.Risk, sandbox = SandboxProfile(t, sandboxes), schema = t.ParametersSchema }),
                    Indented));
                return ExitCodes.Ok;
            }

            foreach (var tool in tools)
            {
                await Console.Out.WriteLineAsync($"{tool.Name}  (risk: {tool.Risk}, sandbox: {SandboxProfile(tool, sandboxes)})");
                await Console.Out.WriteLineAsync($"    {tool.Description}");
                await Console.Out.WriteLineAsync($"    schema: {tool.ParametersSchema.GetRawText()}");
            }

            return ExitCodes.Ok;
        }
    }
}
