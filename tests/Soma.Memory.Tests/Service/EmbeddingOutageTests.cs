using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Vectors;
using Soma.Testing;

namespace Soma.Memory.Tests.Service;

/// <summary>
/// An embedding service (OpenAI-compatible, the loopback stand-in) that fails or hangs never loses or holds up a memory
/// write: memories are stored and found by their words at once, and get their vectors when the service is back.
/// </summary>
public sealed class EmbeddingOutageTests : IAsyncLifetime
{
    private readonly string _tenant = $"t-{Guid.NewGuid():N}"[..20];
    private OpenAiEmbeddingsStandIn _embeddings = null!;
    private MemoryServiceHost _host = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _embeddings = await OpenAiEmbeddingsStandIn.StartAsync(dimensions: 64);
        _host = await MemoryServiceHost.StartSqliteAsync(new Dictionary<string, string?>
        {
            ["Soma:Memory:Embeddings:Provider"] = "OpenAI",
            ["Soma:Memory:Embeddings:BaseUrl"] = _embeddings.BaseAddress.ToString(),
            ["Soma:Memory:Embeddings:Model"] = "hashed-words",
            ["Soma:Memory:Embeddings:Dimensions"] = "64",
            ["Soma:Memory:Embeddings:MatchFloor"] = "0.3",
            ["Soma:Memory:Embeddings:TimeoutMilliseconds"] = "1000",
            ["Soma:Memory:Vectors:BackoffBaseMilliseconds"] = "50",
            ["Soma:Memory:Vectors:BackoffMaxSeconds"] = "1",
            ["Soma:Memory:Vectors:PollMilliseconds"] = "50",
        });
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _embeddings.DisposeAsync();
    }

    [Theory]
    [InlineData(OpenAiEmbeddingsFault.ServerError)]
    [InlineData(OpenAiEmbeddingsFault.Malformed)]
    [InlineData(OpenAiEmbeddingsFault.Cut)]
    [InlineData(OpenAiEmbeddingsFault.WrongCount)]
    public async Task A_failing_embedder_loses_no_memory_and_the_vectors_come_when_it_is_back(OpenAiEmbeddingsFault fault)
    {
        _embeddings.Fault = fault;
        var keys = Enumerable.Range(0, 20).Select(i => $"m{i}").ToList();
        foreach (var key in keys)
        {
            await RememberAsync(key, $"note {key} about the garden shed roof");
        }

        // Every write answered and is searchable by its words straight away; the answer says the meaning part is missing.
        var byWords = await RecallAsync("garden shed", "hybrid", topK: 50);
        Assert.Equal(keys.Order(StringComparer.Ordinal), byWords["results"]!.AsArray().Select(r => (string)r!["key"]!).Order(StringComparer.Ordinal));
        Assert.True((bool)byWords["degraded"]!);

        // The embedding pass has tried and failed: the memories wait, none is dropped.
        await WaitUntilAsync(() => _embeddings.Requests.Count >= 2, "the embedding pass to try the failing service");
        Assert.Equal(20, await Vectors.CountPendingAsync());

        _embeddings.Fault = OpenAiEmbeddingsFault.None;
        await WaitUntilAsync(async () => await Vectors.CountPendingAsync() == 0, "every memory to get its vector once the service is back");
        await _host.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();

        var byMeaning = await RecallAsync("note m7 about the garden shed roof", "vector", topK: 1);
        Assert.Equal("m7", (string)byMeaning["results"]![0]!["key"]!);
        Assert.False((bool)byMeaning["degraded"]!);
        Assert.Equal(new VectorCoverage(20, 20), await Vectors.CoverageAsync("hashed-words", _tenant));
    }

    [Fact]
    public async Task A_hanging_embedder_holds_up_no_write_and_its_memories_are_embedded_after_it_answers_again()
    {
        // Far longer than any test runs: a write that waited for it would never answer.
        _embeddings.Delay = TimeSpan.FromHours(1);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await RememberAsync(key, $"memory {key} about the lighthouse keeper");
        }

        Assert.Equal(3, (await RecallAsync("lighthouse", "text", topK: 10))["results"]!.AsArray().Count);
        await WaitUntilAsync(() => _embeddings.Requests.Count >= 1, "the embedding pass to call the hanging service");

        // The adapter gives up after its timeout and the pass retries: once the service answers, the vectors come.
        _embeddings.Delay = TimeSpan.Zero;
        await WaitUntilAsync(async () => await Vectors.CountPendingAsync() == 0, "the memories to get their vectors after the service answers again");
        Assert.Equal(new VectorCoverage(3, 3), await Vectors.CoverageAsync("hashed-words", _tenant));
    }

    [Fact]
    public async Task A_memory_whose_vector_is_not_in_yet_ranks_by_its_words_not_below_an_older_one_that_has_a_vector()
    {
        await RememberAsync("q", "what is the launch date");
        await WaitUntilAsync(async () => await Vectors.CountPendingAsync() == 0, "the older memory's vector");

        // The newer memory holds both of the question's words; the embedder never answers for it during the test.
        _embeddings.HeldText = "the launch date is friday";
        await RememberAsync("a", "the launch date is friday");
        await WaitUntilAsync(() => _embeddings.Requests.Any(r => r.Body.Contains("friday", StringComparison.Ordinal)), "the embedding pass to ask for the newer memory's vector");
        await _host.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();

        var answer = await RecallAsync("launch friday", "hybrid", topK: 5);
        var results = answer["results"]!.AsArray();
        Assert.Equal(["a", "q"], results.Select(r => (string)r!["key"]!));
        Assert.Equal(["text", "both"], results.Select(r => (string)r!["match"]!));
        Assert.False((bool)answer["degraded"]!);
        Assert.Equal(1, await Vectors.CountPendingAsync());
        _embeddings.HeldText = null;
    }

    private IMemoryVectorStore Vectors => _host.Services.GetRequiredService<IMemoryVectorStore>();

    private static async Task WaitUntilAsync(Func<bool> condition, string what) => await WaitUntilAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(25);
        }
    }

    private async Task RememberAsync(string key, string text)
    {
        using var request = Request("/memory/remember", $$"""{"tenant":"{{_tenant}}","namespace":"agent","key":"{{key}}","value":{"text":"{{text}}"} }""");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonNode> RecallAsync(string query, string mode, int topK)
    {
        using var request = Request("/memory/recall", $$"""{"query":"{{query}}","tenant":"{{_tenant}}","namespace":"agent","top_k":{{topK}},"mode":"{{mode}}"}""");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private HttpRequestMessage Request(string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _host.Token(_tenant));
        request.Headers.Add("X-Tenant-ID", _tenant);
        return request;
    }
}
