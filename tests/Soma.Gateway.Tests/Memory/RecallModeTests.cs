using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;

namespace Soma.Gateway.Tests.Memory;

/// <summary>
/// <c>GET /v1/memory?mode=</c> against SomaAgent's own memory service with recall by meaning off, once in the same
/// process (the embedded default) and once over HTTP (<c>soma serve --roles memory</c> elsewhere): each result says
/// why it matched, words-only and hybrid answers are cached apart, and asking for meaning where it is off is a 400
/// naming <c>mode</c> in both deployments, not a 503.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class RecallModeTests : IAsyncLifetime
{
    private const string Word = "saxifragequill";

    private static readonly Dictionary<string, string?> MeaningOff = new() { ["Soma:Memory:Embeddings:Provider"] = "None" };

    private RunningServer _embedded = null!;
    private RunningServer _remote = null!;

    public async ValueTask InitializeAsync()
    {
        // The memory role maps the service's protocol endpoints too, for the other server and for writing memories.
        _embedded = await RunningServer.StartAsync(new Dictionary<string, string?>(MeaningOff) { ["Soma:Roles"] = "gateway,worker,relay,sync,memory" });
        _remote = await RunningServer.StartAsync(new Dictionary<string, string?>(MeaningOff)
        {
            ["Soma:Roles"] = "gateway,worker,relay,sync",
            ["Soma:Memory:Client:BaseUrl"] = _embedded.BaseAddress.ToString(),
            ["Soma:Memory:Client:ApiKey"] = _embedded.IssueToken("default", "sync", ["memory"]),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _remote.DisposeAsync();
        await _embedded.DisposeAsync();
    }

    [Fact]
    public async Task In_process_each_result_says_why_it_matched_and_meaning_where_it_is_off_is_a_400_naming_mode() =>
        await RecallModesAsync(_embedded);

    [Fact]
    public async Task Over_http_each_result_says_why_it_matched_and_the_services_refusal_of_meaning_is_a_400_naming_mode() =>
        await RecallModesAsync(_remote);

    [Fact]
    public async Task The_api_document_describes_the_mode_parameter()
    {
        using var client = _embedded.For(ServerFixture.NewTenant());
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var mode = document.GetProperty("paths").GetProperty("/v1/memory").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "mode");
        Assert.Equal("query", mode.GetProperty("in").GetString());
        var description = mode.GetProperty("description").GetString();
        Assert.Contains("text", description, StringComparison.Ordinal);
        Assert.Contains("vector", description, StringComparison.Ordinal);
        Assert.Contains("hybrid", description, StringComparison.Ordinal);
    }

    private async Task RecallModesAsync(RunningServer gateway)
    {
        // Both gateways search the embedded server's memory service; the memory goes straight in through its protocol.
        var tenant = ServerFixture.NewTenant();
        var key = $"{tenant}/notes/{Guid.NewGuid():N}/user";
        await RememberAsync(tenant, key, $"my {Word} blooms in May");
        using var client = gateway.For(tenant);

        var text = await RecallAsync(client, $"/v1/memory?query={Word}&mode=text");
        Assert.Equal("text", text.GetProperty("mode").GetString());
        var hit = Assert.Single(text.GetProperty("results").EnumerateArray());
        Assert.Equal(key, hit.GetProperty("key").GetString());
        Assert.Equal("text", hit.GetProperty("match").GetString());
        Assert.False(text.GetProperty("cached").GetBoolean());
        Assert.True((await RecallAsync(client, $"/v1/memory?query={Word}&mode=text")).GetProperty("cached").GetBoolean());

        // No mode is hybrid; with meaning off it finds by words, and its answer is not the words-only one from the cache.
        var hybrid = await RecallAsync(client, $"/v1/memory?query={Word}");
        Assert.Equal("hybrid", hybrid.GetProperty("mode").GetString());
        Assert.False(hybrid.GetProperty("cached").GetBoolean());
        Assert.Equal("text", Assert.Single(hybrid.GetProperty("results").EnumerateArray()).GetProperty("match").GetString());
        Assert.True((await RecallAsync(client, $"/v1/memory?query={Word}&mode=hybrid")).GetProperty("cached").GetBoolean());

        var meaning = await client.GetAsync($"/v1/memory?query={Word}&mode=vector");
        var problem = await ProblemAssert.IsProblemAsync(meaning, HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("mode", problem.GetProperty("parameter").GetString());
        Assert.Contains("meaning", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(meaning.Headers.RetryAfter);

        // Not an outage: the breaker stays closed and words still answer.
        using var admin = gateway.For(tenant, "operator", "admin");
        Assert.Equal("closed", (await admin.GetFromJsonAsync<JsonElement>("/v1/memory/status")).GetProperty("breaker").GetString());
        Assert.Single((await RecallAsync(client, $"/v1/memory?query={Word}&mode=text")).GetProperty("results").EnumerateArray());
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
        using var memory = _embedded.Anonymous();
        memory.DefaultRequestHeaders.Authorization = new("Bearer", _embedded.IssueToken(tenant, "sync", ["memory"]));
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
