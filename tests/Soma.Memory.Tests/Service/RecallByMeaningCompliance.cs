using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Vectors;

namespace Soma.Memory.Tests.Service;

public sealed class SqliteRecallByMeaningCompliance(SqliteMemoryServiceFixture fixture) : RecallByMeaningCompliance<SqliteMemoryServiceFixture>(fixture);

public sealed class PostgresRecallByMeaningCompliance(PostgresMemoryServiceFixture fixture) : RecallByMeaningCompliance<PostgresMemoryServiceFixture>(fixture);

/// <summary>
/// Recall by meaning over the protocol, with the real in-process model (all-minilm-l6-v2): memories that share no word
/// with the question are found, each result says why, and the modes keep apart what they promise.
/// </summary>
public abstract class RecallByMeaningCompliance<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : MemoryServiceFixture
{
    private const string Question = "what did I say about my daughter's birthday?";

    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.BaseAddress };
    private readonly string _tenant = $"t-{Guid.NewGuid():N}"[..20];

    private MemoryServiceHost Host => fixture.Host;

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task A_memory_that_shares_no_word_with_the_question_is_found_by_meaning()
    {
        await RememberAsync("emma", "we celebrated Emma turning six with a concert");
        await RememberAsync("tax", "the quarterly tax report is due on friday");
        await RememberAsync("car", "the mechanic replaced the brake pads on the van");
        await EmbeddedAsync();

        var hybrid = await RecallAsync(Question, "hybrid");
        var found = hybrid["results"]!.AsArray();
        Assert.Equal("emma", (string)found[0]!["key"]!);
        Assert.Equal("meaning", (string)found[0]!["match"]!);
        Assert.InRange((double)found[0]!["score"]!, 0, 1);
        Assert.DoesNotContain(found, r => (string)r!["key"]! == "tax");

        // Words alone cannot find it: none of the question's words is in the memory.
        Assert.DoesNotContain((await RecallAsync(Question, "text"))["results"]!.AsArray(), r => (string)r!["key"]! == "emma");
        Assert.Equal("emma", (string)(await RecallAsync(Question, "vector"))["results"]![0]!["key"]!);

        // Without a mode the answer is the same recall in SomaBrain's exact shape.
        var plain = await RecallAsync(Question, null);
        Assert.Equal("emma", (string)plain["results"]![0]!["key"]!);
        Assert.Equal(["key", "score", "value", "links"], plain["results"]![0]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task A_memory_found_by_its_words_and_its_meaning_says_both_and_ranks_first()
    {
        await RememberAsync("trip", "our family trip to Lisbon was in April, we loved the trams");
        await RememberAsync("tram", "the tram fare went up to three euros");
        await RememberAsync("dog", "our puppy needs a new collar");
        await EmbeddedAsync();

        var found = (await RecallAsync("when was the family trip to Lisbon?", "hybrid"))["results"]!.AsArray();

        Assert.Equal("trip", (string)found[0]!["key"]!);
        Assert.Equal("both", (string)found[0]!["match"]!);
        Assert.DoesNotContain(found, r => (string)r!["key"]! == "dog");
    }

    [Fact]
    public async Task With_vectors_in_a_memory_holding_more_of_the_question_s_words_still_ranks_first()
    {
        // The protocol suite's case, once the vectors are in: meaning must not put the memory with one of the two words
        // above the one with both.
        await RememberAsync("q", "what is the launch date");
        await RememberAsync("a", "the launch date is friday");
        await EmbeddedAsync();

        var answer = await RecallAsync("launch friday", "hybrid");
        var found = answer["results"]!.AsArray();

        Assert.Equal(["a", "q"], found.Select(r => (string)r!["key"]!));
        Assert.Equal(2, (int)answer["total_results"]!);
        Assert.True((double)found[0]!["score"]! > (double)found[1]!["score"]!, answer.ToJsonString());
    }

    [Fact]
    public async Task A_question_about_nothing_stored_finds_nothing_in_any_mode()
    {
        await RememberAsync("emma", "we celebrated Emma turning six with a concert");
        await RememberAsync("tax", "the quarterly tax report is due on friday");
        await EmbeddedAsync();

        foreach (var mode in new[] { "hybrid", "vector", "text" })
        {
            var answer = await RecallAsync("volcanic basalt geology of Iceland", mode);
            Assert.Empty(answer["results"]!.AsArray());
            Assert.Equal(0, (int)answer["total_results"]!);
        }
    }

    [Fact]
    public async Task Tags_filter_the_memories_found_by_meaning()
    {
        await RememberAsync("tagged", "we celebrated Emma turning six with a concert", ""","tags":["family"]""");
        await RememberAsync("untagged", "my son Leo had his seventh birthday party at the zoo");
        await EmbeddedAsync();

        var found = (await RecallAsync(Question, "vector", ""","tags":["family"]"""))["results"]!.AsArray();

        Assert.Equal(["tagged"], found.Select(r => (string)r!["key"]!));
    }

    [Fact]
    public async Task An_unknown_mode_is_422_naming_mode()
    {
        using var request = Request("/memory/recall", $$"""{"query":"x","tenant":"{{_tenant}}","namespace":"agent","mode":"fuzzy"}""");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("mode must be one of text, vector, hybrid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task RememberAsync(string key, string text, string extra = "")
    {
        using var request = Request("/memory/remember", $$"""{"tenant":"{{_tenant}}","namespace":"agent","key":"{{key}}","value":{"text":"{{text}}"}{{extra}}}""");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonNode> RecallAsync(string query, string? mode, string extra = "")
    {
        var modeField = mode is null ? "" : $$""","mode":"{{mode}}" """.TrimEnd();
        using var request = Request("/memory/recall", $$"""{"query":"{{query}}","tenant":"{{_tenant}}","namespace":"agent","top_k":5{{modeField}}{{extra}}}""");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Waits until the embedding pass has given every memory its vector and the index has them.</summary>
    private async Task EmbeddedAsync()
    {
        var vectors = Host.Services.GetRequiredService<IMemoryVectorStore>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await vectors.CountPendingAsync() > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The embedding pass did not give the memories their vectors within 2 minutes.");
            await Task.Delay(50);
        }

        await Host.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();
    }

    private HttpRequestMessage Request(string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Host.Token(_tenant));
        request.Headers.Add("X-Tenant-ID", _tenant);
        return request;
    }
}
