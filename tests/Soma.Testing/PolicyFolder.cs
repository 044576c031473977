namespace Soma.Testing;

/// <summary>
/// A policy folder for a test server (<c>Soma:Policy:Directory</c>): the shipped policies (<c>conf/policies</c>, copied
/// beside the test binaries by the server project) and a <c>roles.yaml</c> the test writes. Files are replaced
/// atomically (write beside, then rename), as a deployment tool or a ConfigMap update would.
/// </summary>
public sealed class PolicyFolder : IDisposable
{
    private readonly TempDirectory _directory = new("soma-policy");

    private PolicyFolder()
    {
    }

    public string Path => _directory.Path;

    /// <summary>The shipped <c>conf/</c> folder: beside the test binaries (projects that reference the server), else the repository's.</summary>
    public static string Shipped
    {
        get
        {
            var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "conf");
            if (Directory.Exists(beside))
            {
                return beside;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "SomaAgent.slnx")))
                {
                    return System.IO.Path.Combine(dir.FullName, "conf");
                }
            }

            throw new InvalidOperationException("The shipped conf/ folder was not found beside the test binaries or in the repository.");
        }
    }

    /// <summary>A folder with the shipped policies and the given roles file (the shipped one when null).</summary>
    public static PolicyFolder Create(string? rolesYaml = null)
    {
        var folder = new PolicyFolder();
        var policies = System.IO.Path.Combine(Shipped, "policies");
        if (!Directory.Exists(policies))
        {
            throw new InvalidOperationException($"The shipped policies are missing ({policies}).");
        }

        Directory.CreateDirectory(System.IO.Path.Combine(folder.Path, "policies"));
        foreach (var file in Directory.EnumerateFiles(policies))
        {
            File.Copy(file, System.IO.Path.Combine(folder.Path, "policies", System.IO.Path.GetFileName(file)));
        }

        folder.Write("roles.yaml", rolesYaml ?? File.ReadAllText(System.IO.Path.Combine(Shipped, "roles.yaml")));
        return folder;
    }

    /// <summary>Replaces (or adds) a file atomically.</summary>
    public void Write(string relativePath, string text)
    {
        var target = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        var staging = System.IO.Path.Combine(Path, $".staging-{Guid.NewGuid():N}");
        File.WriteAllText(staging, text);
        File.Move(staging, target, overwrite: true);
    }

    public void Dispose() => _directory.Dispose();
}
