using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Soma.Memory.Tests.Service;

public sealed class SqliteMemoryProtocolCompliance(SqliteMemoryServiceFixture fixture) : MemoryProtocolCompliance<SqliteMemoryServiceFixture>(fixture);

public sealed class PostgresMemoryProtocolCompliance(PostgresMemoryServiceFixture fixture) : MemoryProtocolCompliance<PostgresMemoryServiceFixture>(fixture);

/// <summary>The SomaBrain memory protocol as our memory service speaks it over HTTP (see docs/memory.md).</summary>
public abstract class MemoryProtocolCompliance<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : MemoryServiceFixture
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.BaseAddress };
    private readonly string _tenant = $"t-{Guid.NewGuid():N}"[..20];

    private MemoryServiceHost Host => fixture.Host;

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Remember_stores_and_a_repeat_reports_deduplicated()
    {
        var body = Remember("k1", "first words", ""","tags":["user"],"trace_id":"0af7651916cd43dd8448eb211c80319c" """);

        var (status, first) = await PostAsync("/memory/remember", body);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"ok":true,"key":"k1","deduplicated":false}""", first.ToJsonString());

        var (_, second) = await PostAsync("/memory/remember", body);
        Assert.Equal("""{"ok":true,"key":"k1","deduplicated":true}""", second.ToJsonString());
    }

    [Fact]
    public async Task Remember_batch_answers_every_item_in_order()
    {
        var (status, answer) = await PostAsync("/memory/remember/batch", $$$"""
            {"tenant":"{{{_tenant}}}","namespace":"agent","items":[
              {"key":"b1","value":{"text":"batch one"}},
              {"key":"b2","value":{"text":"batch two"},"links":[{"rel":"follows","target":"b1","weight":0.5}]},
              {"key":"b1","value":{"text":"batch one again"}}]}
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(
            """{"ok":true,"results":[{"ok":true,"key":"b1","deduplicated":false},{"ok":true,"key":"b2","deduplicated":false},{"ok":true,"key":"b1","deduplicated":true}]}""",
            answer.ToJsonString());
    }

    [Fact]
    public async Task Recall_answers_in_snake_case_with_scores_values_and_links()
    {
        await PostAsync("/memory/remember", Remember("q", "what is the launch date"));
        await PostAsync("/memory/remember", Remember("a", "the launch date is friday", ""","links":[{"rel":"answers","target":"q","weight":0.9}]"""));
        var (linkStatus, linked) = await PostAsync("/link", """{"from_key":"a","to_key":"tool-1","type":"used","weight":0.4}""");
        Assert.Equal(HttpStatusCode.OK, linkStatus);
        Assert.Equal("""{"ok":true}""", linked.ToJsonString());

        var (status, answer) = await PostAsync("/memory/recall", $$"""{"query":"launch friday","tenant":"{{_tenant}}","namespace":"agent","top_k":5}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["results", "total_results", "degraded", "cached"], answer.AsObject().Select(p => p.Key));
        Assert.Equal(2, (int)answer["total_results"]!);
        Assert.False((bool)answer["degraded"]!);
        var results = answer["results"]!.AsArray();
        Assert.Equal(["a", "q"], results.Select(r => (string)r!["key"]!));
        var best = results[0]!.AsObject();
        Assert.Equal(["key", "score", "value", "links"], best.Select(p => p.Key));
        Assert.InRange((double)best["score"]!, 0, 1);
        Assert.Equal("""{"text":"the launch date is friday"}""", best["value"]!.ToJsonString());
        Assert.Equal("""[{"rel":"answers","target":"q","weight":0.9},{"rel":"used","target":"tool-1","weight":0.4}]""", best["links"]!.ToJsonString());
    }

    [Fact]
    public async Task Recall_defaults_top_k_and_finds_nothing_for_a_query_without_words()
    {
        await PostAsync("/memory/remember", Remember("k", "plain words"));

        var (status, answer) = await PostAsync("/memory/recall", $$"""{"query":"\"*:-()","tenant":"{{_tenant}}","namespace":"agent"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(answer["results"]!.AsArray());
        Assert.Equal(0, (int)answer["total_results"]!);
    }

    [Fact]
    public async Task Link_from_an_unknown_key_is_404_with_detail()
    {
        var (status, answer) = await PostAsync("/link", """{"from_key":"nobody","to_key":"x","type":"rel","weight":1}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("from_key", Detail(answer), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/memory/remember", "{not json", "body")]
    [InlineData("/memory/remember", "[]", "body")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","key":"k","value":"a string"}""", "value")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"","key":"k","value":{}}""", "namespace")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","value":{}}""", "key")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","key":"LONGKEY","value":{}}""", "key")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","key":"k","value":{},"tags":[TAGS]}""", "tags")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","key":"k","value":{},"links":[{"rel":"r","target":"t","weight":1.5}]}""", "links[0].weight")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","key":"k","value":{},"links":[{"rel":"","target":"t"}]}""", "links[0].rel")]
    [InlineData("/memory/remember/batch", """{"tenant":"TENANT","namespace":"agent","items":[]}""", "items")]
    [InlineData("/memory/remember/batch", """{"tenant":"TENANT","namespace":"agent","items":[{"key":"a","value":{}},{"key":"b","value":7}]}""", "items[1].value")]
    [InlineData("/memory/recall", """{"query":"","tenant":"TENANT","namespace":"agent"}""", "query")]
    [InlineData("/memory/recall", """{"query":"q","tenant":"TENANT","namespace":"agent","top_k":0}""", "top_k")]
    [InlineData("/memory/recall", """{"query":"q","tenant":"TENANT","namespace":"agent","top_k":101}""", "top_k")]
    [InlineData("/memory/recall", """{"query":"q","tenant":"TENANT","namespace":"agent","min_score":1.5}""", "min_score")]
    [InlineData("/memory/recall", """{"query":"LONGQUERY","tenant":"TENANT","namespace":"agent"}""", "query")]
    [InlineData("/memory/remember", """{"tenant":"TENANT","namespace":"agent","key":"k\u0000","value":{}}""", "key")]
    [InlineData("/link", """{"from_key":"a","to_key":"","type":"rel"}""", "to_key")]
    [InlineData("/link", """{"from_key":"a","to_key":"b","type":"rel","weight":-0.1}""", "weight")]
    public async Task Invalid_requests_are_422_with_a_detail_naming_the_field(string path, string body, string field)
    {
        body = body
            .Replace("TENANT", _tenant, StringComparison.Ordinal)
            .Replace("LONGKEY", new string('k', 257), StringComparison.Ordinal)
            .Replace("LONGQUERY", new string('q', 4097), StringComparison.Ordinal)
            .Replace("TAGS", string.Join(',', Enumerable.Range(0, 33).Select(i => $"\"t{i}\"")), StringComparison.Ordinal);

        var (status, answer) = await PostAsync(path, body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains(field, Detail(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_tenant_other_than_the_header_is_403()
    {
        var (status, answer) = await PostAsync("/memory/remember", Remember("k", "words").Replace(_tenant, "someone-else", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("X-Tenant-ID", Detail(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_tenant_header_is_403()
    {
        using var request = Request("/memory/remember", Remember("k", "words"));
        request.Headers.Remove("X-Tenant-ID");

        var (status, answer) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("X-Tenant-ID", Detail(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_of_another_tenant_is_403_unless_it_has_the_memory_role()
    {
        using (var foreign = Request("/memory/remember", Remember("k", "words"), token: Host.Token("other-tenant", "user")))
        {
            var (status, answer) = await SendAsync(foreign);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("memory", Detail(answer), StringComparison.Ordinal);
        }

        using var service = Request("/memory/remember", Remember("k", "words"), token: Host.Token("sync-service", "memory"));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(service)).Status);
    }

    [Fact]
    public async Task No_token_is_401_and_the_request_id_is_still_echoed()
    {
        using var request = Request("/memory/recall", $$"""{"query":"q","tenant":"{{_tenant}}","namespace":"agent"}""");
        request.Headers.Authorization = null;
        request.Headers.Add("X-Request-ID", "req-401");

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("req-401", Assert.Single(response.Headers.GetValues("X-Request-ID")));
    }

    [Fact]
    public async Task The_request_id_is_echoed_or_generated()
    {
        using var with = Request("/memory/remember", Remember("k", "words"));
        with.Headers.Add("X-Request-ID", "req-123");
        using (var response = await _http.SendAsync(with))
        {
            Assert.Equal("req-123", Assert.Single(response.Headers.GetValues("X-Request-ID")));
        }

        using var without = Request("/memory/remember", "{broken");
        using (var response = await _http.SendAsync(without))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(Assert.Single(response.Headers.GetValues("X-Request-ID"))));
        }
    }

    [Fact]
    public async Task Health_is_anonymous_and_shaped_ok_ready_status()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("X-Request-ID", "req-health");

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("req-health", Assert.Single(response.Headers.GetValues("X-Request-ID")));
        Assert.Equal("""{"ok":true,"ready":true,"status":"healthy"}""", await response.Content.ReadAsStringAsync());
    }

    private string Remember(string key, string text, string extra = "") =>
        $$"""{"tenant":"{{_tenant}}","namespace":"agent","key":"{{key}}","value":{"text":"{{text}}"}{{extra}}}""";

    private HttpRequestMessage Request(string path, string body, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Host.Token(_tenant));
        request.Headers.Add("X-Tenant-ID", _tenant);
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(string path, string body)
    {
        using var request = Request(path, body);
        return await SendAsync(request);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _http.SendAsync(request);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static string Detail(JsonNode body)
    {
        Assert.Equal(["detail"], body.AsObject().Select(p => p.Key));
        return (string)body["detail"]!;
    }
}
