using System.Net;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Memory.Vectors;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Memory;

/// <summary>
/// Recall by meaning through the API on a default server (the in-process model): <c>GET /v1/memory</c> finds a memory
/// that shares no word with the question and says so, and <c>POST /v1/memory/reindex</c> computes another model's
/// vectors with progress, refusing what it cannot do.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class MeaningRecallTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Soma:Roles"] = "gateway,worker,relay,sync,memory" });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_question_sharing_no_word_with_a_memory_finds_it_by_meaning_and_says_so()
    {
        var tenant = ServerFixture.NewTenant();
        await RememberAsync(tenant, "emma", "we celebrated Emma turning six with a concert");
        await RememberAsync(tenant, "tax", "the quarterly tax report is due on friday");
        using var client = _server.For(tenant);
        await EmbeddedAsync();

        var found = await RecallAsync(client, "/v1/memory?query=what%20did%20I%20say%20about%20my%20daughter%27s%20birthday&mode=vector");
        Assert.Equal("emma", found.GetProperty("results")[0].GetProperty("key").GetString());

        var hybrid = await RecallAsync(client, "/v1/memory?query=what%20did%20I%20say%20about%20my%20daughter%27s%20birthday");
        var best = hybrid.GetProperty("results")[0];
        Assert.Equal(("emma", "meaning"), (best.GetProperty("key").GetString(), best.GetProperty("match").GetString()));
        Assert.DoesNotContain(
            (await RecallAsync(client, "/v1/memory?query=what%20did%20I%20say%20about%20my%20daughter%27s%20birthday&mode=text")).GetProperty("results").EnumerateArray(),
            r => r.GetProperty("key").GetString() == "emma");
    }

    [Fact]
    public async Task The_model_loads_as_the_server_starts_so_the_first_recall_is_by_meaning_and_health_says_where_it_is()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant);

        // Nothing has embedded yet: the start itself loads the model.
        var loaded = await EventuallyAsync(() => EmbedderHealthAsync(client), c => c.GetProperty("details").GetProperty("state").GetString() == "loaded", "the model to load");
        Assert.Equal(("normal", "inprocess", "all-minilm-l6-v2"), (loaded.GetProperty("status").GetString(), loaded.GetProperty("details").GetProperty("provider").GetString(), loaded.GetProperty("details").GetProperty("model").GetString()));
        Assert.Equal(0, await _server.Services.GetRequiredService<IMemoryVectorStore>().CountPendingAsync());

        var first = await RecallAsync(client, "/v1/memory?query=what%20did%20I%20say%20about%20my%20daughter%27s%20birthday");
        Assert.False(first.GetProperty("degraded").GetBoolean());
        Assert.Equal("hybrid", first.GetProperty("mode").GetString());

        // Told not to, a server loads it at the first embedding instead.
        await using var lazy = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "gateway,worker,relay,sync,memory",
            ["Soma:Memory:Embeddings:LoadAtStart"] = "false",
        });
        using var lazyClient = lazy.For(tenant);
        Assert.Equal("not loaded", (await EmbedderHealthAsync(lazyClient)).GetProperty("details").GetProperty("state").GetString());
        await RecallAsync(lazyClient, "/v1/memory?query=birthday");
        Assert.Equal("loaded", (await EmbedderHealthAsync(lazyClient)).GetProperty("details").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_reindex_reports_progress_covers_every_memory_of_the_tenant_and_is_audited()
    {
        var tenant = ServerFixture.NewTenant();
        for (var i = 0; i < 40; i++)
        {
            await RememberAsync(tenant, $"k{i}", $"note {i}: the bees swarmed near hive {i}");
        }

        using var admin = _server.For(tenant, "operator", "admin");
        using var response = await admin.PostAsync($"/v1/memory/reindex?model=arctic-embed-xs&tenant={tenant}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

        Assert.True(lines.Count >= 3, "a start line, progress after each batch and a last line");
        Assert.All(lines[..^1], l => Assert.False(l.GetProperty("done").GetBoolean()));
        var last = lines[^1];
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.Equal("arctic-embed-xs", last.GetProperty("model").GetString());
        Assert.Equal((40L, 40L, 40L, 0L), (last.GetProperty("total").GetInt64(), last.GetProperty("current").GetInt64(), last.GetProperty("embedded").GetInt64(), last.GetProperty("failed").GetInt64()));

        // Again: nothing left to do, and it says so.
        using var again = await admin.PostAsync($"/v1/memory/reindex?model=arctic-embed-xs&tenant={tenant}", null);
        var end = JsonDocument.Parse((await again.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal((40L, 0L), (end.GetProperty("current").GetInt64(), end.GetProperty("embedded").GetInt64()));

        var audit = await _server.Services.GetRequiredService<IAuditLog>().ListAsync(tenant, new PageRequest(50), "memory.reindex");
        Assert.Equal(2, audit.Items.Count);
        Assert.All(audit.Items, r => Assert.Equal("operator", r.Actor));
    }

    [Fact]
    public async Task A_reindex_needs_an_admin_and_a_model_this_server_can_embed_with()
    {
        var tenant = ServerFixture.NewTenant();
        using var user = _server.For(tenant);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsync("/v1/memory/reindex", null)).StatusCode);

        using var admin = _server.For(tenant, "operator", "admin");
        var problem = await ProblemAssert.IsProblemAsync(await admin.PostAsync("/v1/memory/reindex?model=no-such-model", null), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("model", problem.GetProperty("parameter").GetString());
        Assert.Contains("arctic-embed-xs", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> EmbedderHealthAsync(HttpClient client)
    {
        var health = JsonDocument.Parse(await client.GetStringAsync("/v1/health")).RootElement.Clone();
        return health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "embedder");
    }

    // Waits for the embedding pass and the index, not for a recall: an empty answer asked too early would be cached.
    private async Task EmbeddedAsync()
    {
        var vectors = _server.Services.GetRequiredService<IMemoryVectorStore>();
        await EventuallyAsync(() => vectors.CountPendingAsync(), pending => pending == 0, "every memory's vector");
        await _server.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();
    }

    private static async Task<JsonElement> RecallAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task RememberAsync(string tenant, string key, string text)
    {
        using var memory = _server.Anonymous();
        memory.DefaultRequestHeaders.Authorization = new("Bearer", _server.IssueToken(tenant, "sync", ["memory"]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/memory/remember")
        {
            Content = new StringContent(
                JsonSerializer.Serialize(new { tenant, @namespace = "agent", key, value = new { role = "user", text } }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Tenant-ID", tenant);
        using var response = await memory.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
