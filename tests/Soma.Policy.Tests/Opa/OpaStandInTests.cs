using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Soma.Testing;

namespace Soma.Policy.Tests.Opa;

// The stand-in is a test double for OPA: if it drifts from OPA's wire format, the adapter's tests prove nothing.
public sealed class OpaStandInTests
{
    private static async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(OpaStandIn opa, string path, string body)
    {
        using var http = new HttpClient { BaseAddress = opa.BaseAddress };
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text));
    }

    [Fact]
    public async Task It_answers_like_opas_data_api()
    {
        await using var opa = await OpaStandIn.StartAsync((path, input) => path == "soma/tools/decision" ? new JsonObject { ["allow"] = input?["tenant"]?.GetValue<string>() == "acme" } : null);

        var decided = await PostAsync(opa, "v1/data/soma/tools/decision", """{"input": {"tenant": "acme"}}""");
        var undefined = await PostAsync(opa, "v1/data/soma/other", """{"input": {}}""");
        var badBody = await PostAsync(opa, "v1/data/soma/tools/decision", "{not json");
        var badPath = await PostAsync(opa, "v2/data/soma", "{}");

        Assert.Equal((HttpStatusCode.OK, """{"result":{"allow":true}}"""), (decided.Status, decided.Body?.ToJsonString()));
        Assert.Equal((HttpStatusCode.OK, "{}"), (undefined.Status, undefined.Body?.ToJsonString()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_parameter"), (badBody.Status, badBody.Body?["code"]?.GetValue<string>()));
        Assert.NotNull(badBody.Body?["message"]);
        Assert.Equal((HttpStatusCode.NotFound, "resource_not_found"), (badPath.Status, badPath.Body?["code"]?.GetValue<string>()));
        Assert.Equal(4, opa.Requests.Count);
        Assert.Equal("acme", opa.Requests[0].Input?["tenant"]?.GetValue<string>());
    }

    [Fact]
    public async Task It_refuses_connections_while_stopped_and_comes_back_on_the_same_port()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => new JsonObject { ["allow"] = true });
        var port = opa.Port;

        await opa.StopListeningAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(opa, "v1/data/x", "{}"));
        await opa.StartListeningAsync();

        Assert.Equal(port, opa.Port);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(opa, "v1/data/x", "{}")).Status);
    }
}
