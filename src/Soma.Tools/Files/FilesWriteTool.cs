using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Files;

/// <summary>
/// <c>files.write</c>: writes (or appends) text to a file of the session's workspace, at most
/// <see cref="ToolWorkspaceOptions.MaxWriteBytes"/> bytes a call; missing folders are created (0700), files are 0600.
/// Paths outside the workspace are refused (<c>tool.path_refused</c>) and nothing is written.
/// </summary>
public sealed class FilesWriteTool(ToolWorkspaces workspaces, IOptions<ToolWorkspaceOptions> options, ILogger<FilesWriteTool> logger) : ITool
{
    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"path":{"type":"string","minLength":1,"maxLength":1024,"description":"The file, relative to the workspace, e.g. notes/todo.md."},"content":{"type":"string","description":"The text to write (UTF-8)."},"append":{"type":"boolean","description":"Add to the end instead of replacing the file (default false)."},"create_folders":{"type":"boolean","description":"Create missing folders on the way (default true)."}},"required":["path","content"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "files.write";

    /// <inheritdoc />
    public string Description => "Writes text to a file of this session's workspace (paths relative to the workspace), replacing it or appending.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public string Risk => "medium";

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = WorkspaceTool.ReadPath(arguments, required: true, Name, context, logger, out var error);
        if (error is not null)
        {
            return ValueTask.FromResult(error);
        }

        var content = ToolSchemas.OptionalString(arguments, "content", out error);
        var append = WorkspaceTool.OptionalBool(arguments, "append", false, ref error);
        var createFolders = WorkspaceTool.OptionalBool(arguments, "create_folders", true, ref error);
        if (error is not null)
        {
            return ValueTask.FromResult(error);
        }

        if (content is null)
        {
            return ValueTask.FromResult(ToolResult.Failed("tool.invalid_arguments", "Argument 'content' is required: the text to write (it may be empty)."));
        }

        var bytes = Encoding.UTF8.GetBytes(content);
        var cap = options.Value.MaxWriteBytes;
        if (bytes.Length > cap)
        {
            return ValueTask.FromResult(ToolResult.Failed("files.too_large", $"The content is {bytes.Length} bytes; files.write writes at most {cap} bytes a call (append the rest in further calls)."));
        }

        using var folder = WorkspaceFolder.Open(workspaces.PathFor(context.TenantId, context.SessionId));
        var opened = folder.OpenWrite(path!, append, createFolders);
        if (opened.Handle is not { } handle)
        {
            return ValueTask.FromResult(WorkspaceTool.Failure(opened, arguments.GetProperty("path").GetString()!, Name, context, logger));
        }

        using (handle)
        {
            var at = append ? RandomAccess.GetLength(handle) : 0;
            RandomAccess.Write(handle, bytes, at);
            return ValueTask.FromResult(new ToolResult(append
                ? $"Appended {bytes.Length} bytes to {opened.Path} (now {at + bytes.Length} bytes)."
                : $"Wrote {bytes.Length} bytes to {opened.Path}."));
        }
    }
}
