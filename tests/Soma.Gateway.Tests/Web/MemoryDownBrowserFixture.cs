using Soma.Testing;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The chat fixture with long-term memory out of reach: the memory client points at a loopback port nobody listens
/// on, so the health monitor reports the memory service down, turns run without recall and memory writes wait in the
/// outbox.
/// </summary>
public sealed class MemoryDownBrowserFixture : ChatBrowserFixture
{
    protected override void Configure(Dictionary<string, string?> configuration) =>
        configuration["Soma:Memory:Client:BaseUrl"] = $"http://127.0.0.1:{FreePort.Next()}/";
}
