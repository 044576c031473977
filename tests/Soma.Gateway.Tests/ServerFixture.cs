namespace Soma.Gateway.Tests;

/// <summary>One server shared by the tests of a class; tests use fresh tenants so they never see each other's data.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public RunningServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["Soma:Gateway:MaxRequestBodyBytes"] = "4096",
    });

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    public static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];
}
