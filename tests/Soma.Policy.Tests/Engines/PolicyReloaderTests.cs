using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Core.Health;
using Soma.Core.Policy;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;
using Soma.Testing;

namespace Soma.Policy.Tests.Engines;

/// <summary>The folder watcher: a good change swaps in, a bad one keeps the version that decides and degrades health.</summary>
public sealed class PolicyReloaderTests : IAsyncLifetime
{
    private readonly PolicyFolder _folder = PolicyFolder.Create("version: 1\nroles:\n  user: {tools: [\"time.now\"]}\n");
    private ServiceProvider _services = null!;
    private PolicyReloader _reloader = null!;

    public async ValueTask InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Soma:Policy:Directory"] = _folder.Path,
            ["Soma:Policy:PollMilliseconds"] = "50",
        }).Build();
        _services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddMetrics().AddSomaPolicy(configuration).BuildServiceProvider();
        _reloader = _services.GetRequiredService<PolicyReloader>();
        await _reloader.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _reloader.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_change_takes_effect_and_a_broken_change_keeps_the_old_version_with_health_degraded()
    {
        var engine = _services.GetRequiredService<IPolicyEngine>();
        var health = _services.GetServices<IHealthReporter>().Single();
        Assert.False((await engine.DecideAsync(Input("math.evaluate"))).Allow);
        var first = (await health.CheckHealthAsync()).Details["version"];

        _folder.Write("roles.yaml", "version: 1\nroles:\n  user: {tools: [\"time.now\", \"math.evaluate\"]}\n");
        await WaitAsync(async () => (await engine.DecideAsync(Input("math.evaluate"))).Allow);
        var second = (await health.CheckHealthAsync()).Details["version"];
        Assert.NotEqual(first, second);

        _folder.Write("roles.yaml", "version: 2\nroles: {}\n");
        await WaitAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Degraded);
        var degraded = await health.CheckHealthAsync();
        Assert.Equal(second, degraded.Details["version"]);
        Assert.Contains(((IEnumerable<string>)degraded.Details["errors"]!), e => e.Contains("roles.yaml:1:", StringComparison.Ordinal) && e.Contains("/version", StringComparison.Ordinal));
        Assert.True((await engine.DecideAsync(Input("math.evaluate"))).Allow);

        _folder.Write("roles.yaml", "version: 1\nroles:\n  user: {tools: [\"time.now\"]}\n");
        await WaitAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Normal);
        Assert.Equal(first, (await health.CheckHealthAsync()).Details["version"]);
    }

    [Fact]
    public void A_folder_that_does_not_load_at_start_stops_the_start_naming_the_error()
    {
        using var broken = PolicyFolder.Create("version: 1\nroles:\n  user: {tools: [1]}\n");
        var reloader = new PolicyReloader(
            new RegoPolicyEngine(Options.Create(new PolicyOptions())), Options.Create(new PolicyOptions { Directory = broken.Path }), TimeProvider.System,
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<PolicyReloader>.Instance);
        var error = Assert.Throws<OptionsValidationException>(reloader.LoadAtStart);
        Assert.Contains(error.Failures, f => f.Contains("roles.yaml:3:", StringComparison.Ordinal) && f.Contains("/roles/user/tools/0", StringComparison.Ordinal));
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The change was not picked up within 10 s.");
            await Task.Delay(25);
        }
    }

    private static PolicyInput Input(string tool) =>
        new("acme", "alice", ["user"], new PolicyToolInput(tool, System.Text.Json.JsonDocument.Parse("{}").RootElement, "low", false), null, null, null, DateTimeOffset.UtcNow);
}
