using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using Soma.Core.Health;
using Soma.Core.Messaging;

namespace Soma.Messaging.Nats.Tests;

public sealed class NatsServiceCollectionTests
{
    [Fact]
    public async Task The_bus_its_health_and_the_shared_connection_are_registered()
    {
        await using var provider = Provider(new() { ["Soma:Bus:Nats:Url"] = "nats://127.0.0.1:4222", ["Soma:Bus:Nats:Stream"] = "EVENTS" });
        var bus = Assert.IsType<NatsEventBus>(provider.GetRequiredService<IEventBus>());
        Assert.Contains(provider.GetServices<IHealthReporter>(), r => ReferenceEquals(r, bus));
        Assert.Same(provider.GetRequiredService<INatsConnection>(), provider.GetRequiredService<INatsConnection>());
        Assert.StartsWith("soma-", provider.GetRequiredService<INatsConnection>().Opts.Name, StringComparison.Ordinal);
        Assert.Equal("EVENTS", provider.GetRequiredService<IOptions<NatsBusOptions>>().Value.Stream);
    }

    [Theory]
    [InlineData("nats://soma:hunter2-not-shown@127.0.0.1:4222")]
    [InlineData("http://soma:hunter2-not-shown@127.0.0.1:4222")]
    public async Task A_url_with_credentials_fails_start_up_naming_the_key_and_not_the_password(string url)
    {
        await using var provider = Provider(new() { ["Soma:Bus:Nats:Url"] = url });
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<NatsBusOptions>>().Value);
        Assert.Contains("Soma:Bus:Nats:Url", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddNatsEventBus();
        return services.BuildServiceProvider();
    }
}
