using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Agents.Models;

namespace Soma.Agents.Tests.Models;

/// <summary>
/// <c>Soma:Models</c> as the server binds and checks it at start (<c>AddSomaAgents</c>): a wrong setting stops the start
/// with a message naming the key to fix, and never the API key.
/// </summary>
public sealed class ModelOptionsTests
{
    private const string ApiKey = "sk-live-do-not-print-me";

    private static readonly Dictionary<string, string?> Valid = new(StringComparer.Ordinal)
    {
        ["Soma:Models:Endpoints:local:Endpoint"] = "http://127.0.0.1:11434/v1/",
        ["Soma:Models:Endpoints:local:Model"] = "llama3.2",
        ["Soma:Models:Endpoints:local:Aliases:0"] = "fast",
        ["Soma:Models:Endpoints:openai:Endpoint"] = "https://api.openai.com/v1/",
        ["Soma:Models:Endpoints:openai:Model"] = "gpt-4o-mini",
        ["Soma:Models:Endpoints:openai:ApiKey"] = ApiKey,
        ["Soma:Models:Fallback:0"] = "fast",
        ["Soma:Models:Fallback:1"] = "openai",
    };

    [Fact]
    public void A_complete_configuration_binds_every_endpoint_alias_and_fallback()
    {
        var options = Bind(Valid);

        Assert.Equal(["fast", "openai"], options.Fallback);
        Assert.Equal(new Uri("http://127.0.0.1:11434/v1/"), options.Endpoints["LOCAL"].Endpoint);
        Assert.Equal(["fast"], options.Endpoints["local"].Aliases);
        Assert.Equal(120, options.Endpoints["openai"].TimeoutSeconds);
        Assert.Equal(3, options.BreakerFailures);
    }

    [Theory]
    [InlineData("Soma:Models:Endpoints:local:Endpoint", null, "Soma:Models:Endpoints:local:Endpoint must be an absolute http(s) URL.")]
    [InlineData("Soma:Models:Endpoints:local:Endpoint", "/v1/", "Soma:Models:Endpoints:local:Endpoint must be an absolute http(s) URL.")]
    [InlineData("Soma:Models:Endpoints:openai:Endpoint", "ftp://api.openai.com/v1/", "Soma:Models:Endpoints:openai:Endpoint must be an absolute http(s) URL.")]
    [InlineData("Soma:Models:Endpoints:openai:Model", " ", "Soma:Models:Endpoints:openai:Model is required (the model id the server expects).")]
    [InlineData("Soma:Models:Endpoints:local:TimeoutSeconds", "0", "Soma:Models:Endpoints:local:TimeoutSeconds must be between 1 and 3600.")]
    [InlineData("Soma:Models:Endpoints:openai:Aliases:0", "FAST", "Soma:Models:Endpoints:openai: the name or alias 'FAST' is used twice.")]
    [InlineData("Soma:Models:Fallback:2", "claude", "Soma:Models:Fallback names 'claude', which is not an endpoint name or alias.")]
    [InlineData("Soma:Models:BreakerSeconds", "0", "Soma:Models:BreakerSeconds:")]
    [InlineData("Soma:Models:BreakerFailures", "1", "Soma:Models:BreakerFailures:")]
    public void A_wrong_setting_stops_the_start_naming_its_key(string key, string? value, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(With(key, value)));

        Assert.Contains(error.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(ApiKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_wrong_setting_is_reported_at_once()
    {
        var settings = With("Soma:Models:Endpoints:openai:Model", "");
        settings["Soma:Models:Fallback:2"] = "claude";

        var error = Assert.Throws<OptionsValidationException>(() => Bind(settings));

        Assert.Equal(2, error.Failures.Count());
    }

    private static Dictionary<string, string?> With(string key, string? value) => new(Valid, StringComparer.Ordinal) { [key] = value };

    private static ModelOptions Bind(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSomaAgents();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ModelOptions>>().Value;
    }
}
