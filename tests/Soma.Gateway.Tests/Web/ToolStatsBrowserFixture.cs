using Soma.Gateway.Tests.Tools;
using Soma.Testing;

namespace Soma.Gateway.Tests.Web;

/// <summary>The chat fixture with a policy folder whose role <c>user</c> grants <c>time.now</c> and <c>math.evaluate</c> only.</summary>
public sealed class ToolStatsBrowserFixture : ChatBrowserFixture
{
    private readonly PolicyFolder _policy = PolicyFolder.Create(ToolStatsApiTests.Roles);

    protected override void Configure(Dictionary<string, string?> configuration) =>
        configuration["Soma:Policy:Directory"] = _policy.Path;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _policy.Dispose();
    }
}
