namespace Soma.Tools.Tests.Registry;

/// <summary>The allow-list from <c>Soma:Tools:Allow</c>, bound from configuration as the server binds it.</summary>
public sealed class ToolAuthorizerTests
{
    private const string Tenant = "t-authz";

    [Fact]
    public async Task Every_tool_is_denied_when_the_allow_list_is_empty()
    {
        await using var host = await SqliteToolHost.StartAsync();
        foreach (var tool in host.Registry.All)
        {
            var decision = host.Authorizer.Decide(Tenant, tool.Name);
            Assert.False(decision.Allowed);
            Assert.Equal($"Tool '{tool.Name}' is not in Soma:Tools:Allow (tools are denied by default).", decision.Reason);
        }
    }

    [Fact]
    public async Task A_listed_tool_is_allowed_and_the_others_stay_denied()
    {
        await using var host = await SqliteToolHost.StartAsync("time.now", "math.evaluate");

        var allowed = host.Authorizer.Decide(Tenant, "time.now");
        Assert.True(allowed.Allowed);
        Assert.Equal("Listed in Soma:Tools:Allow.", allowed.Reason);
        Assert.True(host.Authorizer.Decide(Tenant, "math.evaluate").Allowed);
        Assert.False(host.Authorizer.Decide(Tenant, "session.search").Allowed);
    }

    [Theory]
    [InlineData("Time.Now")]
    [InlineData("time.*")]
    [InlineData("time")]
    [InlineData(" time.now")]
    public async Task Only_the_exact_name_or_a_lone_star_allows(string entry)
    {
        await using var host = await SqliteToolHost.StartAsync(entry);
        Assert.False(host.Authorizer.Decide(Tenant, "time.now").Allowed);
    }

    [Fact]
    public async Task A_star_allows_every_registered_tool()
    {
        await using var host = await SqliteToolHost.StartAsync("*");
        Assert.NotEmpty(host.Registry.All);
        Assert.All(host.Registry.All, tool => Assert.True(host.Authorizer.Decide(Tenant, tool.Name).Allowed));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("shell.exec")]
    public async Task An_unregistered_tool_is_denied_with_a_reason_that_names_it_even_when_listed(string entry)
    {
        await using var host = await SqliteToolHost.StartAsync(entry);
        var decision = host.Authorizer.Decide(Tenant, "shell.exec");
        Assert.False(decision.Allowed);
        Assert.Equal("No tool is registered as 'shell.exec'.", decision.Reason);
    }

    [Fact]
    public async Task A_tenant_is_required()
    {
        await using var host = await SqliteToolHost.StartAsync("*");
        Assert.Throws<ArgumentException>(() => host.Authorizer.Decide("", "time.now"));
        Assert.Throws<ArgumentNullException>(() => host.Authorizer.Decide(null!, "time.now"));
    }
}
