namespace Soma.Testing;

/// <summary>Files of the repository the tests run from, and the offline tools <c>./test.sh</c> installs for them.</summary>
public static class RepositoryFiles
{
    /// <summary>The repository's root folder (the one holding <c>SomaAgent.slnx</c>).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the repository's root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>
    /// One of the deployment checks' tools (<c>helm</c>, <c>kubectl</c>, <c>trivy</c>) that <c>.ci/tools/install.sh</c>
    /// puts in <c>.ci/tools/bin</c>; <c>./test.sh</c> runs that script before the tests.
    /// </summary>
    /// <exception cref="FileNotFoundException">The tool is not installed: the message says how to install it.</exception>
    public static string CiTool(string name)
    {
        var path = Path(".ci", "tools", "bin", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} is not installed; run .ci/tools/install.sh (./test.sh does)", path);
    }

    /// <summary>The folder of the npm packages <c>.ci/tools/install.sh</c> installs (for node scripts that need them).</summary>
    public static string CiNodeModules => Path(".ci", "tools", "node_modules");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "SomaAgent.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (SomaAgent.slnx) is not above " + AppContext.BaseDirectory);
    }
}
