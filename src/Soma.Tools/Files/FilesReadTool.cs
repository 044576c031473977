using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Files;

/// <summary>
/// <c>files.read</c>: a text file of the session's workspace, from an offset, at most
/// <see cref="ToolWorkspaceOptions.MaxReadBytes"/> bytes a call (a longer file is cut, marked truncated, and the result
/// says where to read on). Paths outside the workspace are refused (<c>tool.path_refused</c>).
/// </summary>
public sealed class FilesReadTool(ToolWorkspaces workspaces, IOptions<ToolWorkspaceOptions> options, ILogger<FilesReadTool> logger) : ITool
{
    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"path":{"type":"string","minLength":1,"maxLength":1024,"description":"The file, relative to the workspace, e.g. notes/todo.md."},"offset":{"type":"integer","minimum":0,"description":"The byte to start at (default 0)."},"max_bytes":{"type":"integer","minimum":1,"description":"At most this many bytes (default and most: the configured cap)."}},"required":["path"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "files.read";

    /// <inheritdoc />
    public string Description => "Reads a text file of this session's workspace (paths relative to the workspace). Long files come in pieces: read on with offset.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cap = options.Value.MaxReadBytes;
        var path = WorkspaceTool.ReadPath(arguments, required: true, Name, context, logger, out var error);
        var offset = ToolSchemas.OptionalInt(arguments, "offset", 0, int.MaxValue, 0, out var offsetError);
        var max = ToolSchemas.OptionalInt(arguments, "max_bytes", 1, cap, cap, out var maxError);
        if ((error ?? offsetError ?? maxError) is { } invalid)
        {
            return ValueTask.FromResult(invalid);
        }

        using var folder = WorkspaceFolder.Open(workspaces.PathFor(context.TenantId, context.SessionId));
        var opened = folder.OpenRead(path!);
        if (opened.Handle is not { } handle)
        {
            return ValueTask.FromResult(WorkspaceTool.Failure(opened, arguments.GetProperty("path").GetString()!, Name, context, logger));
        }

        using (handle)
        {
            // One byte more than asked says whether the file goes on, whatever size it had when opened.
            var buffer = new byte[max + 1];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), offset + read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            var truncated = read > max;
            var count = truncated ? Utf8Boundary(buffer, max) : read;
            if (Array.IndexOf(buffer, (byte)0, 0, count) >= 0)
            {
                return ValueTask.FromResult(ToolResult.Failed("files.binary", $"Path '{opened.Path}' is a binary file ({opened.Size} bytes); files.read returns text only."));
            }

            var text = Encoding.UTF8.GetString(buffer, 0, count);
            if (read == 0 && offset > 0)
            {
                text = $"[offset {offset} is past the end of '{opened.Path}' ({opened.Size} bytes)]";
            }
            else if (truncated)
            {
                text += $"\n[truncated: bytes {offset}–{offset + count - 1} of {Math.Max(opened.Size, offset + read)} shown; read on with offset {offset + count}]";
            }

            return ValueTask.FromResult(new ToolResult(text) { Truncated = truncated });
        }
    }

    // Cuts before a multi-byte character that the cap would split, so the text does not end in a replacement character.
    private static int Utf8Boundary(byte[] buffer, int count)
    {
        var start = count;
        while (start > 0 && count - start < 4 && (buffer[start - 1] & 0xC0) == 0x80)
        {
            start--;
        }

        if (start == 0 || count - start >= 4)
        {
            return count;
        }

        var lead = buffer[start - 1];
        var length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return count - (start - 1) < length ? start - 1 : count;
    }
}
