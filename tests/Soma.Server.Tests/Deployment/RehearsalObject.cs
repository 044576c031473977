using System.Text.Json.Nodes;

namespace Soma.Server.Tests.Deployment;

/// <summary>One rendered Kubernetes object.</summary>
internal sealed record RehearsalObject(string Kind, string Name, string Namespace, JsonObject Body)
{
    public override string ToString() => $"{Kind}/{Name}";
}
