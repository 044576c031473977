using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Memory;

/// <summary>What the memory tests read back: a session's memory writes, its durable event log, memory status and health.</summary>
internal static class MemoryProbe
{
    /// <summary><c>GET /v1/sessions/{id}/memories</c>.</summary>
    public static Task<JsonElement> SessionMemoriesAsync(HttpClient client, Guid session) =>
        client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/memories");

    /// <summary>The session's memory writes once <paramref name="count"/> of them exist and every one has <paramref name="status"/>.</summary>
    public static async Task<List<JsonElement>> WaitForWritesAsync(HttpClient client, Guid session, int count, string status)
    {
        var page = await EventuallyAsync(
            () => SessionMemoriesAsync(client, session),
            p => p.GetProperty("items").GetArrayLength() == count && p.GetProperty("items").EnumerateArray().All(i => i.GetProperty("status").GetString() == status),
            $"{count} memory writes of session {session} to be {status}");
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    /// <summary>The <c>data</c> of every event of <paramref name="type"/> in the session's durable log (read through the store port).</summary>
    public static async Task<List<JsonElement>> EventsAsync(RunningServer server, string tenant, Guid session, string type)
    {
        var events = await server.Services.GetRequiredService<ISessionStore>().ListEventsAsync(tenant, session, 0, 1000);
        return [.. events.Where(e => e.Type == type).Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("data").Clone())];
    }

    /// <summary>The <c>memory</c> component of <c>/v1/health</c>.</summary>
    public static async Task<JsonElement> MemoryHealthAsync(HttpClient client)
    {
        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health");
        return health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "memory");
    }

    /// <summary>Waits until <c>/v1/health</c> shows memory in <paramref name="status"/>.</summary>
    public static Task<JsonElement> WaitForMemoryHealthAsync(HttpClient client, string status) =>
        EventuallyAsync(() => MemoryHealthAsync(client), c => c.GetProperty("status").GetString() == status, $"memory health to be {status}");

    /// <summary><c>GET /v1/memory/status</c> (an admin client).</summary>
    public static Task<JsonElement> StatusAsync(HttpClient admin) => admin.GetFromJsonAsync<JsonElement>("/v1/memory/status");

    /// <summary>Pending writes of <paramref name="tenant"/> according to <c>/v1/memory/status</c>.</summary>
    public static async Task<long> PendingAsync(HttpClient admin, string tenant)
    {
        var status = await StatusAsync(admin);
        return status.GetProperty("tenants").EnumerateArray().Where(t => t.GetProperty("tenant").GetString() == tenant).Select(t => t.GetProperty("pending").GetInt64()).FirstOrDefault();
    }

    /// <summary>The item with <paramref name="key"/> (a memory or a link row).</summary>
    public static JsonElement Item(IEnumerable<JsonElement> items, string kind, string key) =>
        Assert.Single(items, i => i.GetProperty("kind").GetString() == kind && i.GetProperty("key").GetString() == key);

    /// <summary>The item's links as (rel, target).</summary>
    public static List<(string Rel, string Target)> Links(JsonElement item) =>
        [.. item.GetProperty("links").EnumerateArray().Select(l => (l.GetProperty("rel").GetString()!, l.GetProperty("target").GetString()!))];
}
