using Soma.Gateway.Tests.Policy;
using Soma.Testing;

namespace Soma.Gateway.Tests.Web;

/// <summary>The chat fixture with a policy folder whose role <c>user</c> grants only <c>time.now</c>.</summary>
public sealed class PolicyBrowserFixture : ChatBrowserFixture
{
    private readonly PolicyFolder _policy = PolicyFolder.Create(PolicyDecisionsApiTests.Roles);

    protected override void Configure(Dictionary<string, string?> configuration) =>
        configuration["Soma:Policy:Directory"] = _policy.Path;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _policy.Dispose();
    }
}
