using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Memory.Client;

namespace Soma.Memory.Tests.Client;

public sealed class MemoryClientRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<MemoryClientBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        var builder = services.AddSomaMemoryClient();
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Options_bind_from_the_section_and_the_parts_are_wired_together()
    {
        await using var provider = Build(new()
        {
            ["Soma:Memory:Client:BaseUrl"] = "http://127.0.0.1:9/",
            ["Soma:Memory:Client:MaxRetries"] = "5",
        });

        var options = provider.GetRequiredService<IOptions<MemoryClientOptions>>().Value;
        Assert.Equal(5, options.MaxRetries);
        Assert.Equal(5, options.TimeoutSeconds);
        Assert.Equal(1000, options.ProbeIntervalMinMilliseconds);
        var client = provider.GetRequiredService<ResilientMemoryBackend>();
        Assert.Same(provider.GetRequiredService<SomaBrainHttpBackend>(), client.Inner);
        var monitor = provider.GetRequiredService<MemoryHealthMonitor>();
        Assert.Contains(monitor, provider.GetServices<IHealthReporter>());
        Assert.Contains(monitor, provider.GetServices<IHostedService>());
    }

    [Fact]
    public async Task The_inner_backend_can_be_any_backend()
    {
        var other = SomaBrainHttpBackend.Create(new MemoryClientOptions { BaseUrl = new Uri("http://127.0.0.1:10/") });
        await using var provider = Build(new() { ["Soma:Memory:Client:BaseUrl"] = "http://127.0.0.1:9/" }, b => b.UseInnerBackend(_ => other));

        Assert.Same(other, provider.GetRequiredService<ResilientMemoryBackend>().Inner);
        Assert.Same(other, provider.GetRequiredKeyedService<IMemoryBackend>(MemoryClientBuilder.InnerBackendKey));
        Assert.Null(provider.GetService<IMemoryBackend>());
        other.Dispose();
    }

    [Fact]
    public async Task Bad_values_fail_naming_their_keys_and_never_the_api_key()
    {
        await using var provider = Build(new()
        {
            ["Soma:Memory:Client:BaseUrl"] = "ftp://memory/",
            ["Soma:Memory:Client:ApiKey"] = "super-secret-token",
            ["Soma:Memory:Client:TimeoutSeconds"] = "0",
            ["Soma:Memory:Client:BreakerMinimumThroughput"] = "1",
            ["Soma:Memory:Client:ProbeIntervalMinMilliseconds"] = "2000",
            ["Soma:Memory:Client:ProbeIntervalMaxMilliseconds"] = "1000",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MemoryClientOptions>>().Value);

        var message = string.Join("\n", error.Failures);
        Assert.Contains("Soma:Memory:Client:TimeoutSeconds", message, StringComparison.Ordinal);
        Assert.Contains("Soma:Memory:Client:BreakerMinimumThroughput", message, StringComparison.Ordinal);
        Assert.Contains("Soma:Memory:Client:BaseUrl", message, StringComparison.Ordinal);
        Assert.Contains("Soma:Memory:Client:ProbeIntervalMaxMilliseconds", message, StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret-token", message, StringComparison.Ordinal);
    }
}
