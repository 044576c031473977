using System.Globalization;
using Soma.Core.Sandbox;

namespace Soma.Tools.Sandbox;

/// <summary>
/// How every sandbox process starts from the server: under setpriv's parent-death signal (KILL), through a shell that
/// first checks that its parent is still the server and exits 125 otherwise. setpriv sets the signal only after it is
/// forked, so a server killed in between would leave a process no signal reaches; the check closes that window. Then
/// the caller's script runs with its arguments as <c>$1</c>, <c>$2</c>, ….
/// </summary>
internal static class ServerBoundLaunch
{
    private const string ParentCheck = "[ \"$PPID\" = \"$1\" ] || exit 125; shift; ";

    /// <summary>The launch of <paramref name="script"/> (a <c>/bin/sh</c> script) with <paramref name="arguments"/>, bound to this server.</summary>
    public static SandboxLaunch Create(string script, IEnumerable<string> arguments) => new(
        "/usr/bin/setpriv",
        ["--pdeathsig", "KILL", "--", "/bin/sh", "-c", ParentCheck + script, "soma-sandbox", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), .. arguments],
        new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" });
}
