using System.Net;
using Soma.Server.Hosting;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>The image (read from the Dockerfile) and the chart agree: its ENTRYPOINT plus each container's args is a soma command line.</summary>
public sealed class ImageEntrypointTests
{
    [Fact]
    public void The_image_runs_the_published_soma_apphost_as_a_numeric_non_root_user_with_a_data_volume_and_a_health_check()
    {
        var dockerfile = Dockerfile.Read();
        Assert.Equal(2, dockerfile.Stages.Count);
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", dockerfile.Stages[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile.Stages[1], StringComparison.Ordinal);
        Assert.Equal(["/app/soma"], dockerfile.Entrypoint);
        Assert.Empty(dockerfile.All("CMD"));

        var user = Assert.Single(dockerfile.All("USER"));
        Assert.Matches("^[1-9][0-9]*(:[1-9][0-9]*)?$", user);
        Assert.Equal(["[\"/data\"]"], dockerfile.All("VOLUME"));
        Assert.Contains("/healthz", Assert.Single(dockerfile.All("HEALTHCHECK")), StringComparison.Ordinal);
        var env = string.Join(' ', dockerfile.All("ENV"));
        Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", env, StringComparison.Ordinal);
        Assert.Contains("SOMA__DATADIR=/data", env, StringComparison.Ordinal);
        Assert.Contains(dockerfile.All("RUN"), run => run.Contains("bubblewrap", StringComparison.Ordinal));

        // The build stage publishes src/Soma.Server (assembly name soma) to /app, where the ENTRYPOINT points.
        var text = File.ReadAllText(Dockerfile.FilePath);
        Assert.Contains("dotnet publish src/Soma.Server/Soma.Server.csproj -c Release -o /app", text, StringComparison.Ordinal);
        Assert.Contains("<AssemblyName>soma</AssemblyName>", File.ReadAllText(RepositoryFiles.Path("src", "Soma.Server", "Soma.Server.csproj")), StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /app /app", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_image_entrypoint_with_each_containers_args_is_a_command_line_the_soma_cli_accepts()
    {
        var entrypoint = Dockerfile.Read().Entrypoint;
        var renders = await Task.WhenAll(HelmChart.TemplateDefaultAsync(), HelmChart.TemplateDefaultAsync("--set", "mode=allInOne"));
        var workloads = renders.SelectMany(HelmChart.Objects).Where(o => (string?)o["kind"] is "Deployment" or "Job").ToList();
        var commandLines = workloads.Select(ChartManifestTests.Args).Select(args => string.Join(' ', args)).Distinct().ToList();
        Assert.Equal(
            ["migrate", "serve --roles gateway", "serve --roles gateway,worker,relay,sync,memory", "serve --roles memory", "serve --roles relay,sync", "serve --roles worker"],
            commandLines.Order(StringComparer.Ordinal));

        foreach (var workload in workloads)
        {
            var containers = workload["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
            Assert.All(containers, c => Assert.Null(c!["command"]));
            Assert.All(containers, c => Assert.Equal("ghcr.io/somaagent/soma:0.1.0", (string?)c!["image"]));
        }

        // The entrypoint is the apphost of src/Soma.Server: locally, dotnet soma.dll.
        Assert.Equal("/app/soma", Assert.Single(entrypoint));
        var runs = await Task.WhenAll(commandLines.Select(async line =>
        {
            var args = line.Split(' ');
            var (exit, stdout, stderr) = await SomaProcess.RunAsync([.. args, "--help"]);
            return (line, args, exit, output: stdout + stderr);
        }));
        foreach (var (line, args, exit, output) in runs)
        {
            Assert.True(exit == 0, $"soma {line} --help exited {exit}: {output}");
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unrecognized", output, StringComparison.OrdinalIgnoreCase);
            if (args[0] == "serve")
            {
                Assert.Equal("--roles", args[1]);
                Assert.Null(SomaRoles.TryParse(args[2], out var roles));
                Assert.Equal(args[2].Split(',').Order(), roles.Order());
            }
        }

        // A role the CLI does not know is refused, so the check above can fail.
        Assert.NotNull(SomaRoles.TryParse("gateway,sideways", out _));
    }

    [Fact]
    public async Task ASPNETCORE_HTTP_PORTS_from_the_image_and_the_chart_moves_the_listener_off_the_default_loopback_address()
    {
        using var data = new TempDirectory("soma-http-ports");
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--data", data.Path], new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var output = await soma.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
        Assert.Contains($":{port}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1:8010", output, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }
}
