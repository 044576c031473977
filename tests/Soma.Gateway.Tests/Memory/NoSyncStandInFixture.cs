namespace Soma.Gateway.Tests.Memory;

/// <summary>The same, without the sync role: nothing is delivered but by a manual flush.</summary>
public sealed class NoSyncStandInFixture : StandInFixture
{
    protected override string Roles => "gateway,worker";
}
