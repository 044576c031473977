using Soma.Testing;

namespace Soma.Memory.Tests.Client;

/// <summary>The client compliance suite against the SomaBrain stand-in.</summary>
public sealed class SomaBrainStandInClientSuite : MemoryClientSuite
{
    protected override async Task<MemoryPeer> StartPeerAsync()
    {
        var standIn = await SomaBrainStandIn.StartAsync();
        return new MemoryPeer(standIn.BaseAddress, standIn.Token, standIn);
    }
}
