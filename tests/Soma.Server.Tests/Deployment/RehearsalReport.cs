using System.Globalization;
using System.Text;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The rehearsal's times as text: for the test output, and as a section per mode of <c>install-rehearsal.md</c> in
/// <c>$SOMA_REPORT_DIR</c> (./test.sh prints those reports at the end of a run).
/// </summary>
internal static class RehearsalReport
{
    public const string FileName = "install-rehearsal.md";
    private static readonly Lock Gate = new();

    public static string Section(RehearsalResult result)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## mode={result.Mode}\n\n");
        text.Append(CultureInfo.InvariantCulture,
            $"First answered turn **{result.ToFirstAnswer.TotalSeconds:0.0} s** after the first process (the hook Job) started. Deployments: {string.Join(", ", result.Deployments)}.\n\n");
        text.Append("| step | took | at |\n|---|---:|---:|\n");
        foreach (var step in result.Steps)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {step.Name} | {step.Took.TotalSeconds:0.0} s | {step.At.TotalSeconds:0.0} s |\n");
        }

        return text.ToString();
    }

    /// <summary>Writes (or replaces) this mode's section of the report when <c>SOMA_REPORT_DIR</c> is set.</summary>
    public static void Write(RehearsalResult result)
    {
        var directory = Environment.GetEnvironmentVariable("SOMA_REPORT_DIR");
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        lock (Gate)
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, FileName);
            var sections = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (File.Exists(path))
            {
                foreach (var section in File.ReadAllText(path).Split("\n## ").Skip(1))
                {
                    sections[section.Split('\n', 2)[0]] = "## " + section.TrimEnd() + "\n";
                }
            }

            sections[$"mode={result.Mode}"] = Section(result);
            File.WriteAllText(path,
                "# Install rehearsal\n\nThe chart's manifests (`helm template deploy/helm/soma`) run as local processes against PostgreSQL, "
                + "nats-server and the dev model: the pre-install hook Job, then every Deployment until ready, then a first chat turn.\n\n"
                + string.Join("\n", sections.Values));
        }
    }
}
