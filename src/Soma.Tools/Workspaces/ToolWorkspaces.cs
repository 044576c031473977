using Microsoft.Extensions.Options;
using Soma.Core.Tenancy;

namespace Soma.Tools.Workspaces;

/// <summary>
/// The per-session workspace: one host folder per (tenant, session), <c>{Root}/{tenant}/{session}</c>, created on first
/// use with mode 0700. The <c>files.*</c> tools act inside it only, and a sandbox bind-mounts it as <c>/workspace</c>,
/// so what a command writes there a later <c>files.read</c> sees, and the other way round.
/// </summary>
public sealed class ToolWorkspaces
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string? _root;

    /// <summary>Reads the root from <see cref="ToolWorkspaceOptions.Root"/>.</summary>
    public ToolWorkspaces(IOptions<ToolWorkspaceOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _root = string.IsNullOrWhiteSpace(options.Value.Root) ? null : Path.GetFullPath(options.Value.Root);
    }

    /// <summary>The folder holding every workspace (absolute).</summary>
    /// <exception cref="InvalidOperationException"><c>Soma:Tools:Workspaces:Root</c> is not set (the server sets it from <c>Soma:DataDir</c>).</exception>
    public string Root => _root ?? throw new InvalidOperationException(
        $"{ToolWorkspaceOptions.SectionName}:Root is not set: the server sets it to {{Soma:DataDir}}/workspaces; a host without the server must set it.");

    /// <summary>
    /// The absolute host path of the workspace of <paramref name="session"/> in <paramref name="tenant"/>, created (with
    /// its parents) mode 0700 when missing. The path is a pure function of its arguments, so every process on the
    /// host, and every sandbox that mounts it, agrees on it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="tenant"/> is not a valid tenant id, or <paramref name="session"/> is empty.</exception>
    public string PathFor(string tenant, Guid session)
    {
        if (!TenantId.IsValid(tenant))
        {
            throw new ArgumentException($"The tenant must be {TenantId.Rule}.", nameof(tenant));
        }

        if (session == Guid.Empty)
        {
            throw new ArgumentException("The session id is empty.", nameof(session));
        }

        var tenantFolder = Path.Combine(Root, tenant);
        var path = Path.Combine(tenantFolder, session.ToString("D"));
        if (!Directory.Exists(path))
        {
            // Each level SomaAgent creates is 0700 (the root and the tenant folder too): another user on the host reads nothing.
            Create(Root);
            Create(tenantFolder);
            Create(path);
        }

        return path;
    }

    private static void Create(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }

        Directory.CreateDirectory(folder, OwnerOnly);

        // CreateDirectory leaves an existing parent's mode alone and gives missing parents the default; set it here, once.
        File.SetUnixFileMode(folder, OwnerOnly);
    }
}
