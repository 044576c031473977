using System.Text.RegularExpressions;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The misconfiguration gate: <c>trivy config</c>, offline, on the Dockerfile, the chart (rendered by trivy with the
/// production values) and the hooks of the default render (trivy's own rendering leaves hooks out: the migrate Job, the
/// chart's Secrets, ConfigMap and ServiceAccount), failing on HIGH or CRITICAL findings.
/// </summary>
public sealed partial class MisconfigurationGateTests
{
    [Fact]
    public async Task The_Dockerfile_and_the_chart_have_no_high_or_critical_misconfiguration()
    {
        using var work = new TempDirectory("soma-trivy");
        File.Copy(Dockerfile.FilePath, Path.Combine(work.Path, "Dockerfile"));
        CopyDirectory(HelmChart.Directory, Path.Combine(work.Path, "chart"));
        var hooks = Documents(await HelmChart.TemplateDefaultAsync()).Where(d => d.Contains("helm.sh/hook:", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, hooks.Count);
        await File.WriteAllTextAsync(Path.Combine(work.Path, "rendered-hooks.yaml"), string.Join("\n---\n", hooks));

        // The dashboards are left out of this scan only: large JSON text that is data, not configuration (it takes half the
        // scan's time), and proven equal to deploy/grafana by ChartManifestTests.
        var (exit, output) = await GateAsync(work.Path, "--helm-values", HelmChart.ProductionValues, "--helm-set", "monitoring.dashboards.enabled=false");
        Assert.True(exit == 0, output);
        // The Dockerfile, the hooks, and the chart's templates: a scan that found nothing would pass silently.
        Assert.True(DetectedFiles(output) >= 3, output);
    }

    [Fact]
    public async Task The_gate_fails_on_a_privileged_container_and_an_image_running_as_root()
    {
        using var work = new TempDirectory("soma-trivy-bad");
        var dockerfile = await File.ReadAllTextAsync(Dockerfile.FilePath);
        Assert.Contains("USER 10001:10001", dockerfile, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(work.Path, "Dockerfile"), dockerfile.Replace("USER 10001:10001", "USER root", StringComparison.Ordinal));
        var gateway = Documents(await HelmChart.TemplateDefaultAsync()).Single(d => d.Contains("kind: Deployment", StringComparison.Ordinal) && d.Contains("name: soma-gateway", StringComparison.Ordinal));
        Assert.Contains("privileged: false", gateway, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(work.Path, "gateway.yaml"), gateway.Replace("privileged: false", "privileged: true", StringComparison.Ordinal));

        var (exit, output) = await GateAsync(work.Path);
        Assert.Equal(1, exit);
        Assert.Contains("ksv017", output, StringComparison.OrdinalIgnoreCase); // privileged
        Assert.Contains("ds002", output, StringComparison.OrdinalIgnoreCase); // root user
    }

    /// <summary>The gate as CI runs it: HIGH and CRITICAL only, exit code 1 on a finding, no download of any kind.</summary>
    private static async Task<(int ExitCode, string Output)> GateAsync(string target, params string[] extra)
    {
        using var cache = new TempDirectory("soma-trivy-cache");
        var (exit, stdout, stderr) = await HelmChart.RunAsync(
            RepositoryFiles.CiTool("trivy"),
            ["config", "--skip-policy-update", "--cache-dir", cache.Path, "--severity", "HIGH,CRITICAL", "--exit-code", "1", .. extra, target]);
        return (exit, stdout + stderr);
    }

    private static IEnumerable<string> Documents(string yaml) =>
        yaml.Split("\n---\n").Where(d => d.Contains("kind:", StringComparison.Ordinal));

    private static int DetectedFiles(string output) =>
        DetectedLine().Match(output) is { Success: true } match ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [GeneratedRegex(@"Detected config files: (\d+)")]
    private static partial Regex DetectedLine();
}
