using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Soma.Gateway.Tests;

public sealed class SessionApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task A_session_is_created_read_renamed_listed_and_deleted()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var created = await client.PostAsJsonAsync("/v1/sessions", new { title = "first", metadata = new { project = "x" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/sessions/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("x", session.GetProperty("metadata").GetProperty("project").GetString());
        Assert.Equal(7, Guid.Parse(id).Version);

        var read = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}");
        Assert.Equal("first", read.GetProperty("title").GetString());

        var renamed = await client.PatchAsync($"/v1/sessions/{id}", JsonContent.Create(new { title = "renamed" }));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("renamed", (await renamed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());

        var messages = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}/messages");
        Assert.Equal(0, messages.GetProperty("items").GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/sessions/{id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/v1/sessions/{id}"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Listing_pages_through_every_session_once_newest_first()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var response = await client.PostAsJsonAsync("/v1/sessions", new { title = $"s{i}" });
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var url = "/v1/sessions?limit=3" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await client.GetFromJsonAsync<JsonElement>(url);
            Assert.True(page.GetProperty("items").GetArrayLength() <= 3);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Fact]
    public async Task Another_tenants_session_is_404_everywhere_and_never_listed()
    {
        using var owner = Server.For(ServerFixture.NewTenant());
        using var other = Server.For(ServerFixture.NewTenant());
        var created = await owner.PostAsJsonAsync("/v1/sessions", new { title = "private" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/v1/sessions/{id}"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/v1/sessions/{id}/messages"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await other.PatchAsync($"/v1/sessions/{id}", JsonContent.Create(new { title = "pwned" })), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await other.DeleteAsync($"/v1/sessions/{id}"), HttpStatusCode.NotFound, "not-found");
        var listed = await other.GetFromJsonAsync<JsonElement>("/v1/sessions");
        Assert.Equal(0, listed.GetProperty("items").GetArrayLength());

        var stillThere = await owner.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}");
        Assert.Equal("private", stillThere.GetProperty("title").GetString());
    }

    [Fact]
    public async Task The_tenant_comes_from_the_token_never_from_the_body_or_headers()
    {
        var victim = ServerFixture.NewTenant();
        using var attacker = Server.For(ServerFixture.NewTenant());
        attacker.DefaultRequestHeaders.Add("X-Tenant-ID", victim);
        var response = await attacker.PostAsJsonAsync("/v1/sessions", new { title = "x", tenant_id = victim });
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid-field");
        Assert.Equal("/tenant_id", problem.GetProperty("pointer").GetString());

        await attacker.PostAsJsonAsync("/v1/sessions", new { title = "x" });
        using var victimClient = Server.For(victim);
        var listed = await victimClient.GetFromJsonAsync<JsonElement>("/v1/sessions");
        Assert.Equal(0, listed.GetProperty("items").GetArrayLength());
    }

    public static TheoryData<string, string, HttpStatusCode, string, string?> BadBodies => new()
    {
        { "application/json", "{\"title\": ", HttpStatusCode.BadRequest, "malformed-json", null },
        { "application/json", "[1,2]", HttpStatusCode.BadRequest, "invalid-field", string.Empty },
        { "application/json", "{\"titel\":\"typo\"}", HttpStatusCode.BadRequest, "invalid-field", "/titel" },
        { "application/json", "{\"title\":5}", HttpStatusCode.BadRequest, "invalid-field", "/title" },
        { "application/json", "{\"metadata\":\"not an object\"}", HttpStatusCode.BadRequest, "invalid-field", "/metadata" },
        { "application/json", "{\"title\":\"" + new string('x', 201) + "\"}", HttpStatusCode.BadRequest, "invalid-field", "/title" },
        { "application/json", "{\"title\":\"" + new string('x', 5000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "body-too-large", null },
        { "text/plain", "{\"title\":\"x\"}", HttpStatusCode.UnsupportedMediaType, "unsupported-media-type", null },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_gets_a_clear_problem_and_writes_nothing(string contentType, string body, HttpStatusCode status, string type, string? pointer)
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var response = await client.PostAsync("/v1/sessions", new StringContent(body, Encoding.UTF8, contentType));
        var problem = await ProblemAssert.IsProblemAsync(response, status, type);
        if (pointer is not null)
        {
            Assert.Equal(pointer, problem.GetProperty("pointer").GetString());
        }

        var listed = await client.GetFromJsonAsync<JsonElement>("/v1/sessions");
        Assert.Equal(0, listed.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_body_larger_than_the_limit_without_content_length_is_refused()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"title\":\"" + new string('y', 8000) + "\"}")));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sessions") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large");
    }

    [Theory]
    [InlineData("/v1/sessions?limit=0", "limit")]
    [InlineData("/v1/sessions?limit=501", "limit")]
    [InlineData("/v1/sessions?cursor=not-a-cursor", "cursor")]
    [InlineData("/v1/sessions?limit=2&cursor=AAAA", "cursor")]
    public async Task Out_of_range_paging_is_400_naming_the_parameter(string url, string parameter)
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var problem = await ProblemAssert.IsProblemAsync(await client.GetAsync(url), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task An_unknown_path_is_a_problem_not_an_empty_404()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/nothing-here"), HttpStatusCode.NotFound, "not-found");
    }
}
