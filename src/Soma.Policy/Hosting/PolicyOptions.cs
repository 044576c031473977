using System.ComponentModel.DataAnnotations;

namespace Soma.Policy.Hosting;

/// <summary><c>Soma:Policy</c>: which engine decides, and where the embedded engine's policy files are.</summary>
public sealed class PolicyOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Policy";

    /// <summary><c>rego</c> (default: the embedded engine over <see cref="Directory"/>) or <c>opa</c> (an OPA server, <c>Soma:Policy:Opa:Url</c>).</summary>
    [RegularExpression("^(rego|opa)$", ErrorMessage = "must be rego or opa")]
    public string Provider { get; set; } = "rego";

    /// <summary>
    /// The policy folder (<c>*.rego</c>, <c>roles.yaml</c>, data files), watched for changes. A relative path is taken
    /// from the current folder, and from the server's own folder (where the shipped <c>conf/</c> is) when not there.
    /// </summary>
    [Required]
    public string Directory { get; set; } = "conf";

    /// <summary>How often the folder is checked for changes, in milliseconds (a change is also noticed at once where the
    /// file system reports it). Default 500.</summary>
    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 500;

    /// <summary>How long the embedded engine may take for one decision before it denies with <c>policy.timeout</c>. Default 250 ms.</summary>
    [Range(1, 60_000)]
    public int TimeoutMilliseconds { get; set; } = 250;

    /// <summary>
    /// How many entries the embedded engine's decision cache may hold per query before it starts again (0 turns it
    /// off). A decision is kept under the input values its evaluation read, so it is given again only to a call that
    /// would be decided alike; a new policy starts an empty cache. Default 10,000.
    /// </summary>
    [Range(0, 1_000_000)]
    public int DecisionCacheEntries { get; set; } = 10_000;

    /// <summary>Whether a policy's <c>test_</c> rules must pass before it is loaded. Default true.</summary>
    public bool RequireTests { get; set; } = true;

    /// <summary>The folder to load, resolved as <see cref="Directory"/> says.</summary>
    public string ResolveDirectory()
    {
        if (Path.IsPathRooted(Directory) || System.IO.Directory.Exists(Directory))
        {
            return Path.GetFullPath(Directory);
        }

        var shipped = Path.Combine(AppContext.BaseDirectory, Directory);
        return System.IO.Directory.Exists(shipped) ? shipped : Path.GetFullPath(Directory);
    }
}
