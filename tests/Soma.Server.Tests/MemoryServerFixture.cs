using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary>A real <c>soma serve</c> process whose memory client points at a <see cref="SomaBrainStandIn"/> the tests switch down and up.</summary>
public sealed class MemoryServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new("soma-memory-cli");

    public string Url { get; } = $"http://127.0.0.1:{FreePort.Next()}";

    public string DataDir => _data.Path;

    public SomaBrainStandIn Memory { get; private set; } = null!;

    public SomaProcess Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Memory = await SomaBrainStandIn.StartAsync();
        Server = SomaProcess.Start(["serve", "--data", _data.Path, "--urls", Url], new Dictionary<string, string>
        {
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "20",
            ["SOMA__MEMORY__CLIENT__BASEURL"] = Memory.BaseAddress.ToString(),
            ["SOMA__MEMORY__CLIENT__APIKEY"] = Memory.Token,
            ["SOMA__MEMORY__CLIENT__MAXRETRIES"] = "1",
            ["SOMA__MEMORY__CLIENT__BREAKERBREAKSECONDS"] = "1",
        });
        await Server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Memory.DisposeAsync();
        _data.Dispose();
    }
}
