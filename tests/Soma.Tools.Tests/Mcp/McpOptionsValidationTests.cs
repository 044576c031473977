using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Tools.Mcp;

namespace Soma.Tools.Tests.Mcp;

/// <summary><c>Soma:Mcp</c> is checked at start, and each problem names its key (never a header's secret value).</summary>
public sealed class McpOptionsValidationTests
{
    [Fact]
    public void Bad_servers_stop_the_start_naming_each_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Options(new()
        {
            ["Soma:Mcp:Servers:Files!:Command"] = "/usr/bin/files-mcp",
            ["Soma:Mcp:Servers:both:Command"] = "/usr/bin/x",
            ["Soma:Mcp:Servers:both:Url"] = "http://127.0.0.1:9/mcp",
            ["Soma:Mcp:Servers:neither:TimeoutSeconds"] = "0",
            ["Soma:Mcp:Servers:boxed:Command"] = "/usr/bin/x",
            ["Soma:Mcp:Servers:boxed:Profile"] = "docker",
            ["Soma:Mcp:Servers:boxed:Headers:Authorization"] = "Bearer hunter2",
            ["Soma:Mcp:Servers:web:Url"] = "ftp://example.test/mcp",
            ["Soma:Mcp:Servers:web:Environment:TOKEN"] = "x",
            ["Soma:Mcp:Servers:two__under:Url"] = "http://127.0.0.1:9/mcp",
        }));

        string[] expected =
            [
                "Soma:Mcp:Servers: the server name 'Files!' must match ^[a-z0-9][a-z0-9_-]{0,30}$ (lower-case letters, digits, '_' and '-', at most 31 characters).",
                "Soma:Mcp:Servers:both must set exactly one of Command (a stdio server) or Url (an HTTP server).",
                "Soma:Mcp:Servers:neither must set exactly one of Command (a stdio server) or Url (an HTTP server).",
                "Soma:Mcp:Servers:neither:TimeoutSeconds must be positive (it is 0).",
                "Soma:Mcp:Servers:boxed:Profile must be bubblewrap or gvisor (it is 'docker').",
                "Soma:Mcp:Servers:boxed:Headers applies to HTTP servers only; a stdio server takes Environment.",
                "Soma:Mcp:Servers:web:Url must be an absolute http or https URL.",
                "Soma:Mcp:Servers:web: Arguments, Environment and Profile apply to stdio servers only.",
                "Soma:Mcp:Servers: the server name 'two__under' must not contain '__' nor end with '_'.",
            ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), error.Failures.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Good_servers_bind_with_their_defaults()
    {
        var options = Options(new()
        {
            ["Soma:Mcp:Servers:files:Command"] = "/usr/bin/files-mcp",
            ["Soma:Mcp:Servers:files:Arguments:0"] = "--root",
            ["Soma:Mcp:Servers:files:Arguments:1"] = "/workspace",
            ["Soma:Mcp:Servers:github_2:Url"] = "https://mcp.example.test/mcp",
            ["Soma:Mcp:Servers:github_2:Headers:Authorization"] = "Bearer x",
            ["Soma:Mcp:Servers:github_2:Enabled"] = "false",
        });

        Assert.Equal(["--root", "/workspace"], options.Servers["files"].Arguments);
        Assert.Equal(60, options.Servers["files"].TimeoutSeconds);
        Assert.True(options.Servers["files"].Enabled);
        Assert.False(options.Servers["github_2"].Enabled);
        Assert.Equal("Bearer x", options.Servers["github_2"].Headers["authorization"]);
    }

    private static McpOptions Options(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMetrics();
        services.AddSomaMcp();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<McpOptions>>().Value;
    }
}
