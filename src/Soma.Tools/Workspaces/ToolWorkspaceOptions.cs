using System.ComponentModel.DataAnnotations;

namespace Soma.Tools.Workspaces;

/// <summary>The per-session workspaces and the caps of the <c>files.*</c> tools (section <c>Soma:Tools:Workspaces</c>).</summary>
public sealed class ToolWorkspaceOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Tools:Workspaces";

    /// <summary>
    /// The folder holding every workspace, as <c>{Root}/{tenant}/{session}</c>. Default (unset): <c>{Soma:DataDir}/workspaces</c>,
    /// set by the server; a relative path is taken from the working directory.
    /// </summary>
    public string? Root { get; set; }

    /// <summary>
    /// The most bytes <c>files.read</c> returns from one call (a larger file is cut, marked truncated, and the result says
    /// where to read on). Default 12000; at most 15000, since the model is handed at most 16000 characters of a result.
    /// </summary>
    [Range(1, 15_000)]
    public int MaxReadBytes { get; set; } = 12_000;

    /// <summary>The most bytes <c>files.write</c> writes in one call (more is refused). Default 1048576.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxWriteBytes { get; set; } = 1_048_576;

    /// <summary>The most entries <c>files.list</c> returns (the rest is counted, not shown). Default 500.</summary>
    [Range(1, 100_000)]
    public int MaxListEntries { get; set; } = 500;
}
