using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Soma.Testing;

namespace Soma.Server.Tests.Gates;

/// <summary>
/// The dependency vulnerability gate of <c>Directory.Build.props</c> (docs/operations/ci-gates.md), proven on a real
/// restore: the package source here serves no advisories, so a small advisory feed (a NuGet V3 service index with a
/// <c>VulnerabilityInfo/6.7.0</c> resource, its index and one page) is served on loopback and named in a temp
/// <c>nuget.config</c>'s <c>auditSources</c>, and a tiny project that imports the repository's own
/// <c>Directory.Build.props</c> restores a real package (from a local folder source) against it.
/// </summary>
public sealed class NuGetAuditGateTests : IAsyncLifetime
{
    private const string PackageId = "xunit.v3.assert";
    private readonly TempDirectory _work = new("soma-nuget-audit");
    private readonly ConcurrentQueue<string> _requests = new();
    private WebApplication _feed = null!;
    private int _port;
    private int _restores;
    private string _page = "{}";

    public async ValueTask InitializeAsync()
    {
        (_feed, _port) = await LoopbackListener.StartAsync(ServeAsync);
        var (version, nupkg) = Package();
        var source = Directory.CreateDirectory(Path.Combine(_work.Path, "source")).FullName;
        File.Copy(nupkg, Path.Combine(source, Path.GetFileName(nupkg)));
        var project = Directory.CreateDirectory(Path.Combine(_work.Path, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{source}" />
              </packageSources>
              <auditSources>
                <clear />
                <add key="advisories" value="http://127.0.0.1:{_port}/v3/index.json" allowInsecureConnections="true" />
              </auditSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Directory.Build.props"), $"""
            <Project>
              <Import Project="{RepositoryFiles.Path("Directory.Build.props")}" />
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Directory.Packages.props"), $"""
            <Project>
              <ItemGroup>
                <PackageVersion Include="{PackageId}" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Probe.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <PackageReference Include="{PackageId}" />
              </ItemGroup>
            </Project>
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _feed.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task A_critical_advisory_fails_the_restore_with_NU1904_naming_the_package()
    {
        _page = Page(severity: 3, "GHSA-soma-crit");
        var (code, output) = await DotnetAsync("restore");
        Assert.True(code != 0, $"the restore passed despite a critical advisory:\n{output}");
        Assert.Contains($"error NU1904: Warning As Error: Package '{PackageId}'", output, StringComparison.Ordinal);
        Assert.Contains("critical severity vulnerability, https://advisories.example/GHSA-soma-crit", output, StringComparison.Ordinal);
        Assert.Contains("/v3/vulnerabilities/page.json", _requests);
    }

    [Fact]
    public async Task With_no_advisory_the_restore_passes_after_reading_the_feed()
    {
        _page = "{}";
        var (code, output) = await DotnetAsync("restore");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("NU190", output, StringComparison.Ordinal);

        // The gate ran: it read the service index, the vulnerability index and the page.
        Assert.Equal(["/v3/index.json", "/v3/vulnerabilities/index.json", "/v3/vulnerabilities/page.json"], _requests.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_high_advisory_is_reported_as_a_NU1903_warning_and_the_build_with_warnaserror_still_passes()
    {
        _page = Page(severity: 2, "GHSA-soma-high");
        var (code, output) = await DotnetAsync("build", "-warnaserror");
        Assert.True(code == 0, $"a high advisory failed the build:\n{output}");
        Assert.Contains($"warning NU1903: Package '{PackageId}'", output, StringComparison.Ordinal);
        Assert.Contains("high severity vulnerability, https://advisories.example/GHSA-soma-high", output, StringComparison.Ordinal);
    }

    private static string Page(int severity, string advisory) =>
        $$"""{"{{PackageId}}":[{"url":"https://advisories.example/{{advisory}}","severity":{{severity}},"versions":"[0.0.1, 99.0.0)"}]}""";

    private async Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        _requests.Enqueue(path);
        var root = $"http://127.0.0.1:{_port}/v3";
        var body = path switch
        {
            "/v3/index.json" => $$"""{"version":"3.0.0","resources":[{"@id":"{{root}}/vulnerabilities/index.json","@type":"VulnerabilityInfo/6.7.0"}]}""",
            "/v3/vulnerabilities/index.json" => $$"""[{"@name":"base","@id":"{{root}}/vulnerabilities/page.json","@updated":"2026-12-01T00:00:00Z"}]""",
            "/v3/vulnerabilities/page.json" => _page,
            _ => null,
        };
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, Encoding.UTF8);
    }

    /// <summary>Runs <c>dotnet</c> in the probe project with its own package folder and HTTP cache (NuGet caches advisories).</summary>
    private async Task<(int Code, string Output)> DotnetAsync(params string[] args)
    {
        var run = Interlocked.Increment(ref _restores);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.Combine(_work.Path, "project"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--nologo");
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work.Path, "packages");
        start.Environment["NUGET_HTTP_CACHE_PATH"] = Path.Combine(_work.Path, $"http-cache-{run}");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var obj = Path.Combine(_work.Path, "project", "obj");
        if (Directory.Exists(obj))
        {
            Directory.Delete(obj, recursive: true);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The package from the machine's NuGet folder (the test projects restore it: xunit depends on it), as a .nupkg.</summary>
    private static (string Version, string Nupkg) Package()
    {
        var folder = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var versions = Path.Combine(folder, PackageId);
        foreach (var dir in Directory.Exists(versions) ? Directory.GetDirectories(versions).Order(StringComparer.Ordinal).ToArray() : [])
        {
            var version = Path.GetFileName(dir);
            var nupkg = Path.Combine(dir, $"{PackageId}.{version}.nupkg");
            if (File.Exists(nupkg))
            {
                return (version, nupkg);
            }
        }

        throw new FileNotFoundException($"No {PackageId} .nupkg under {versions}: restore the test projects first (dotnet restore SomaAgent.slnx).");
    }
}
