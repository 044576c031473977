using System.Text.Json;
using Microsoft.Extensions.Logging;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Files;

/// <summary>What the three <c>files.*</c> tools share: the path argument, checked, and the refusal they all give.</summary>
internal static class WorkspaceTool
{
    /// <summary>The error code of a path that is refused (absolute, <c>..</c> out, a symlink out, NUL, too long).</summary>
    public const string PathRefused = "tool.path_refused";

    /// <summary>The <c>path</c> argument, checked; null with <paramref name="error"/> set when it is missing or refused.</summary>
    public static WorkspacePath? ReadPath(JsonElement arguments, bool required, string tool, ToolContext context, ILogger logger, out ToolResult? error)
    {
        var text = ToolSchemas.OptionalString(arguments, "path", out error);
        if (error is not null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(text))
        {
            if (required)
            {
                error = ToolResult.Failed("tool.invalid_arguments", "Argument 'path' is required: a path relative to the workspace, e.g. notes/todo.md.");
                return null;
            }

            text = ".";
        }

        var path = WorkspacePath.Parse(text, out var problem);
        if (path is null)
        {
            error = Refuse(tool, text, problem!, context, logger);
        }

        return path;
    }

    /// <summary>Turns a failed open into the result the model sees; refusals are logged.</summary>
    public static ToolResult Failure(Opened opened, string input, string tool, ToolContext context, ILogger logger) => opened.Outcome switch
    {
        FileOutcome.Outside or FileOutcome.Invalid => Refuse(tool, input, opened.Problem!, context, logger),
        FileOutcome.Missing => ToolResult.Failed("files.not_found", $"Path '{WorkspacePath.Printable(input)}': {opened.Problem}."),
        FileOutcome.NotAFile => ToolResult.Failed("files.not_a_file", $"Path '{WorkspacePath.Printable(input)}': {opened.Problem}."),
        FileOutcome.NotAFolder => ToolResult.Failed("files.not_a_folder", $"Path '{WorkspacePath.Printable(input)}': {opened.Problem}."),
        FileOutcome.Denied => ToolResult.Failed("files.denied", $"Path '{WorkspacePath.Printable(input)}': {opened.Problem}."),
        _ => ToolResult.Failed("files.failed", $"Path '{WorkspacePath.Printable(input)}': {opened.Problem}."),
    };

    /// <summary>The one refusal: <c>tool.path_refused</c>, naming the path and why, and a warning in the log.</summary>
    public static ToolResult Refuse(string tool, string input, string problem, ToolContext context, ILogger logger)
    {
        var printable = WorkspacePath.Printable(input);
        FilesLog.PathRefused(logger, tool, printable, context.TenantId, context.SessionId, problem);
        return ToolResult.Failed(PathRefused, $"Path '{printable}' is refused: {problem}.");
    }

    /// <summary>The boolean property <paramref name="name"/>, <paramref name="fallback"/> when absent; sets <paramref name="error"/> (if unset) when it is not a boolean.</summary>
    public static bool OptionalBool(JsonElement arguments, string name, bool fallback, ref ToolResult? error)
    {
        if (!arguments.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        error ??= ToolResult.Failed("tool.invalid_arguments", $"Argument '{name}' must be true or false.");
        return fallback;
    }
}
