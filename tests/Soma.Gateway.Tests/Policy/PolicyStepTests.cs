using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Gateway.Tests.Conversations;
using Soma.Testing;

namespace Soma.Gateway.Tests.Policy;

/// <summary>
/// The policy step in the orchestrator: <c>demo.pipeline</c> asks before its webhook; a policy that does not grant
/// <c>demo.pipeline.notify</c> fails the run with <c>policy.denied</c>, the webhook is never called, and the decision is audited.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PolicyStepTests : IAsyncLifetime
{
    private WebhookReceiver _webhook = null!;
    private PolicyFolder _policy = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _webhook = await WebhookReceiver.StartAsync();
        _policy = PolicyFolder.Create("version: 1\ndefault_roles: [user]\nroles:\n  user: {tools: [\"time.now\"]}\n");
        _server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Demo:WebhookUrl"] = _webhook.Url,
            ["Soma:Policy:Directory"] = _policy.Path,
            ["Soma:Policy:PollMilliseconds"] = "100",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _webhook.DisposeAsync();
        _policy.Dispose();
    }

    [Fact]
    public async Task A_denied_side_effect_fails_the_run_before_it_happens_and_is_audited_and_a_grant_lets_it_through()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant);
        var denied = await StartAsync(client, 1);
        var run = await Conversation.RunEndedAsync(client, denied);
        Assert.Equal("failed", run.GetProperty("state").GetString());
        Assert.Equal("policy.denied", run.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("no role of the caller grants tool \"demo.pipeline.notify\"", run.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_webhook.CallsByKey);

        var audit = await _server.Services.GetRequiredService<IAuditLog>().ListAsync(tenant, new PageRequest(10), "workflow.step");
        var row = Assert.Single(audit.Items);
        Assert.Equal(("deny", "step/demo.pipeline.notify", $"run:{denied}"), (row.Decision, row.Resource, row.Actor));

        _policy.Write("roles.yaml", "version: 1\ndefault_roles: [user]\nroles:\n  user: {tools: [\"time.now\", \"demo.pipeline.*\"]}\n");
        await Conversation.EventuallyAsync(
            () => ToolPolicyTests.PolicyVersionAsync(client), v => v != row.PolicyRevision, "the new policy to load");
        var allowed = await StartAsync(client, 2);
        Assert.Equal("succeeded", (await Conversation.RunEndedAsync(client, allowed)).GetProperty("state").GetString());
        Assert.Equal(1, _webhook.CallsByKey[$"{allowed:N}/notify/0"]);
    }

    private static async Task<Guid> StartAsync(HttpClient client, int order)
    {
        var started = await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", input = new { order } });
        started.EnsureSuccessStatusCode();
        return Guid.Parse((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!);
    }
}
