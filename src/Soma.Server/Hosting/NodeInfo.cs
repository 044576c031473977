using System.Diagnostics.Metrics;
using Soma.Core.Telemetry;

namespace Soma.Server.Hosting;

/// <summary>
/// <c>soma.node.info</c> (<c>soma_node_info{node, roles}</c> in Prometheus): always 1, so dashboards can join other series
/// on <c>instance</c> and group them by node and role.
/// </summary>
internal static class NodeInfo
{
    public static void Register(IMeterFactory meterFactory, IReadOnlySet<string> roles)
    {
        var tags = new KeyValuePair<string, object?>[]
        {
            new("node", Environment.MachineName),
            new("roles", string.Join(',', roles.Order(StringComparer.Ordinal))),
        };
        SomaMeters.NodeInfo.CreateObservableGauge<int>(meterFactory.Create(SomaMeters.Node), () => new[] { new Measurement<int>(1, tags) });
    }
}
