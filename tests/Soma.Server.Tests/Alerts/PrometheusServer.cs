using System.Diagnostics;
using Soma.Testing;

namespace Soma.Server.Tests.Alerts;

/// <summary>
/// Debian's Prometheus on a free loopback port, scraping one <c>soma serve</c> with a bearer token every second and
/// evaluating a rule file every second. A missing binary is a failure (test.sh installs the package).
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly Process _process;

    private PrometheusServer(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The HTTP API's base address.</summary>
    public Uri Address { get; }

    /// <summary>Writes the configuration and the token file under <paramref name="workDirectory"/>, starts Prometheus and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string workDirectory, string rulesFile, string targetAuthority, string token, TimeSpan patience)
    {
        Assert.True(File.Exists(Binary), "Prometheus is not installed: install Debian's 'prometheus' package (./test.sh does).");
        var tokenFile = Path.Combine(workDirectory, "prometheus-token");
        await File.WriteAllTextAsync(tokenFile, token);
        var config = Path.Combine(workDirectory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {rulesFile}
            scrape_configs:
              - job_name: soma
                authorization:
                  type: Bearer
                  credentials_file: {tokenFile}
                static_configs:
                  - targets: ['{targetAuthority}']
            """);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(workDirectory, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}"])
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = server.Address };
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/-/ready")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"Prometheus was not ready within {patience.TotalSeconds:0} s.");
            }

            await Task.Delay(200);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
