using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Files;

/// <summary>
/// <c>files.list</c>: the entries of a folder of the session's workspace (the workspace itself by default), sorted by
/// name, optionally recursive, at most <see cref="ToolWorkspaceOptions.MaxListEntries"/> of them (the rest is counted
/// and the result marked truncated). A recursive listing never descends through a symbolic link.
/// </summary>
public sealed class FilesListTool(ToolWorkspaces workspaces, IOptions<ToolWorkspaceOptions> options, ILogger<FilesListTool> logger) : ITool
{
    /// <summary>How deep a recursive listing goes.</summary>
    public const int MaxDepth = 8;

    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"path":{"type":"string","maxLength":1024,"description":"The folder, relative to the workspace (default: the workspace itself)."},"recursive":{"type":"boolean","description":"Also list what the sub-folders hold, 8 levels deep at most (default false)."}},"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "files.list";

    /// <inheritdoc />
    public string Description => "Lists a folder of this session's workspace: folders end in '/', files show their size, symbolic links are marked.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = WorkspaceTool.ReadPath(arguments, required: false, Name, context, logger, out var error);
        var recursive = WorkspaceTool.OptionalBool(arguments, "recursive", false, ref error);
        if (error is not null)
        {
            return ValueTask.FromResult(error);
        }

        using var folder = WorkspaceFolder.Open(workspaces.PathFor(context.TenantId, context.SessionId));
        var opened = folder.OpenDirectory(path!);
        if (opened.Handle is not { } handle)
        {
            var input = arguments.TryGetProperty("path", out var given) && given.ValueKind == JsonValueKind.String ? given.GetString()! : ".";
            return ValueTask.FromResult(WorkspaceTool.Failure(opened, input, Name, context, logger));
        }

        var listing = new Listing(options.Value.MaxListEntries);
        using (handle)
        {
            Walk(folder, handle, path!, prefix: string.Empty, recursive ? MaxDepth : 1, listing, cancellationToken);
        }

        var header = $"{opened.Path}: {listing.Shown} entr{(listing.Shown == 1 ? "y" : "ies")}";
        if (listing.Omitted > 0)
        {
            // A recursive walk stops descending at the cap, so what it left out is a lower bound.
            header += $", {(recursive ? "at least " : string.Empty)}{listing.Omitted} more not shown (at most {listing.Cap})";
        }

        return ValueTask.FromResult(new ToolResult(listing.Shown == 0 ? header + " (empty)" : header + "\n" + listing.Text.ToString().TrimEnd())
        {
            Truncated = listing.Omitted > 0,
        });
    }

    private static void Walk(WorkspaceFolder folder, SafeFileHandle directory, WorkspacePath path, string prefix, int depth, Listing listing, CancellationToken cancellationToken)
    {
        // Names come from the open folder (through its /proc/self/fd link), types from statx relative to its handle:
        // nothing here goes by a host path that could be swapped.
        var names = new DirectoryInfo($"/proc/self/fd/{directory.DangerousGetHandle()}")
            .EnumerateFileSystemInfos()
            .Select(e => e.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var type = LinuxFiles.StatEntry(directory, name, out var size);
            if (type < 0)
            {
                continue;
            }

            var shown = prefix + WorkspacePath.Printable(name);
            if (!listing.Add(type switch
            {
                LinuxFiles.SIfDir => shown + "/",
                LinuxFiles.SIfReg => $"{shown} ({size} bytes)",
                LinuxFiles.SIfLnk => $"{shown} (symbolic link)",
                _ => $"{shown} (special file)",
            }))
            {
                continue;
            }

            if (type == LinuxFiles.SIfDir && depth > 1)
            {
                var child = folder.OpenChildDirectory(directory, path, name);
                if (child.Handle is { } handle)
                {
                    using (handle)
                    {
                        Walk(folder, handle, path, shown + "/", depth - 1, listing, cancellationToken);
                    }
                }
            }
        }
    }

    private sealed class Listing(int cap)
    {
        public StringBuilder Text { get; } = new();

        public int Cap => cap;

        public int Shown { get; private set; }

        public int Omitted { get; private set; }

        public bool Add(string line)
        {
            if (Shown >= cap)
            {
                Omitted++;
                return false;
            }

            Text.Append(line).Append('\n');
            Shown++;
            return true;
        }
    }
}
