using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;
using static Soma.Gateway.Tests.Memory.MemoryProbe;

namespace Soma.Gateway.Tests.Memory;

/// <summary><c>POST /v1/memory/flush</c> on a server without the sync role, so only the flush delivers.</summary>
[SupportedOSPlatform("linux")]
public sealed class MemoryFlushTests(NoSyncStandInFixture fixture) : IClassFixture<NoSyncStandInFixture>
{
    private RunningServer Server => fixture.Server;

    private SomaBrainStandIn Memory => fixture.Memory;

    [Fact]
    public async Task A_flush_reports_progress_fails_while_memory_is_down_does_nothing_on_a_dry_run_and_delivers_everything_once_memory_is_up()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        using var admin = Server.For(tenant, "operator", "admin");
        var session = await CreateSessionAsync(client);
        var sent = await SendAsync(client, session, "hello, keep this for later");
        Assert.Equal("succeeded", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());
        var waiting = await WaitForWritesAsync(client, session, 3, "pending");

        await Memory.StopListeningAsync();
        List<JsonElement> down;
        try
        {
            await WaitForMemoryHealthAsync(client, "down");
            down = await FlushAsync(admin, tenant, dryRun: false);
        }
        finally
        {
            await Memory.StartListeningAsync();
        }

        var failed = down[^1];
        Assert.True(failed.GetProperty("done").GetBoolean());
        Assert.Equal(0, failed.GetProperty("delivered").GetInt64());
        Assert.Equal(3, failed.GetProperty("remaining").GetInt64());
        Assert.False(string.IsNullOrWhiteSpace(failed.GetProperty("error").GetString()), "a flush that delivered nothing because memory is down says so");
        await WaitForMemoryHealthAsync(client, "normal");

        var dry = await FlushAsync(admin, tenant, dryRun: true);
        Assert.All(dry, l => Assert.True(l.GetProperty("dry_run").GetBoolean()));
        var dryEnd = dry[^1];
        Assert.True(dryEnd.GetProperty("done").GetBoolean());
        Assert.Equal((3L, 0L, 3L), (dryEnd.GetProperty("total").GetInt64(), dryEnd.GetProperty("delivered").GetInt64(), dryEnd.GetProperty("remaining").GetInt64()));
        Assert.Equal(3, (await SessionMemoriesAsync(client, session)).GetProperty("pending").GetInt32());
        Assert.DoesNotContain(Memory.Memories, m => m.Tenant == tenant);

        var lines = await FlushAsync(admin, tenant, dryRun: false);
        Assert.True(lines.Count >= 2, "a start line and a final line");
        Assert.All(lines[..^1], l => Assert.False(l.GetProperty("done").GetBoolean()));
        var end = lines[^1];
        Assert.True(end.GetProperty("done").GetBoolean());
        Assert.False(end.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String, "a flush that delivered everything reports no error");
        Assert.Equal((3L, 3L, 0L), (end.GetProperty("total").GetInt64(), end.GetProperty("delivered").GetInt64(), end.GetProperty("remaining").GetInt64()));
        await WaitForWritesAsync(client, session, 3, "sent");
        Assert.Equal(
            waiting.Where(i => i.GetProperty("kind").GetString() == "memory").Select(i => i.GetProperty("key").GetString()).Order(StringComparer.Ordinal),
            Memory.Memories.Where(m => m.Tenant == tenant).Select(m => m.Key).Order(StringComparer.Ordinal));

        // Each flush is audited in the tenant's log with who asked and what happened.
        var audit = await Server.Services.GetRequiredService<IAuditLog>().ListAsync(tenant, new PageRequest(50), "memory.flush");
        Assert.Equal(3, audit.Items.Count);
        Assert.All(audit.Items, r => Assert.Equal("operator", r.Actor));
        Assert.Single(audit.Items, r => r.Reason?.Contains("dry run", StringComparison.Ordinal) == true);
    }

    private static async Task<List<JsonElement>> FlushAsync(HttpClient admin, string tenant, bool dryRun)
    {
        using var response = await admin.PostAsync($"/v1/memory/flush?tenant={tenant}&dry_run={(dryRun ? "true" : "false")}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }
}
