using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Core.Policy;
using Soma.Policy.Opa;

namespace Soma.Policy.Tests.Opa;

public sealed class OpaRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddOpaPolicyEngine(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Options_bind_from_the_section_and_the_engine_is_keyed_opa()
    {
        await using var provider = Build(new()
        {
            ["Soma:Policy:Provider"] = "opa",
            ["Soma:Policy:Opa:Url"] = "http://127.0.0.1:8181/",
            ["Soma:Policy:Opa:BreakerFailures"] = "7",
        });

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<OpaOptions>>().Value;
        Assert.Equal((250, 7, 5), (options.TimeoutMilliseconds, options.BreakerFailures, options.BreakerBreakSeconds));
        var engine = provider.GetRequiredKeyedService<IPolicyEngine>("opa");
        Assert.Same(provider.GetRequiredService<OpaPolicyEngine>(), engine);
        Assert.Equal("opa", engine.Name);
        Assert.Null(provider.GetService<IPolicyEngine>());
    }

    [Fact]
    public async Task The_url_is_required_when_the_provider_is_opa()
    {
        await using var provider = Build(new() { ["Soma:Policy:Provider"] = "OPA" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Soma:Policy:Opa:Url is required", string.Join("\n", error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_values_fail_at_start_naming_their_keys_and_never_the_token()
    {
        await using var provider = Build(new()
        {
            ["Soma:Policy:Provider"] = "opa",
            ["Soma:Policy:Opa:Url"] = "ftp://opa.internal/",
            ["Soma:Policy:Opa:Token"] = "super-secret-token",
            ["Soma:Policy:Opa:TimeoutMilliseconds"] = "0",
            ["Soma:Policy:Opa:BreakerFailures"] = "1",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        var message = string.Join("\n", error.Failures);
        Assert.Contains("Soma:Policy:Opa:Url must be an absolute http(s) URL", message, StringComparison.Ordinal);
        Assert.Contains("Soma:Policy:Opa:TimeoutMilliseconds", message, StringComparison.Ordinal);
        Assert.Contains("Soma:Policy:Opa:BreakerFailures", message, StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret-token", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_url_with_credentials_is_refused_without_echoing_them()
    {
        await using var provider = Build(new() { ["Soma:Policy:Provider"] = "opa", ["Soma:Policy:Opa:Url"] = "ftp://admin:hunter2@opa/" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        var message = string.Join("\n", error.Failures);
        Assert.Contains("Soma:Policy:Opa:Url", message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_another_provider_a_missing_url_starts_and_the_engine_denies()
    {
        await using var provider = Build(new() { ["Soma:Policy:Provider"] = "rego" });

        provider.GetRequiredService<IStartupValidator>().Validate();
        var decision = await provider.GetRequiredService<OpaPolicyEngine>().DecideAsync(new PolicyInput(
            "acme", "user-7", [], new PolicyToolInput("clock", default, "low", Sandbox: false), null, null, null, DateTimeOffset.UnixEpoch));

        Assert.Equal((false, PolicyReasons.Error), (decision.Allow, Assert.Single(decision.Reasons)));
    }
}
