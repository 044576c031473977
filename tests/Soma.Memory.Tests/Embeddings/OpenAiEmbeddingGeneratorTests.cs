using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;
using Soma.Memory.Tests.Cache;
using Soma.Testing;

namespace Soma.Memory.Tests.Embeddings;

/// <summary>The OpenAI-compatible adapter against a loopback server speaking the protocol, healthy and in each failure mode.</summary>
public sealed class OpenAiEmbeddingGeneratorTests : IAsyncLifetime
{
    private const string Key = "sk-test-0123456789abcdef";
    private const int Dimensions = 64;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ListLogger<OpenAiEmbeddingGenerator> _log = new();
    private OpenAiEmbeddingsStandIn _server = null!;

    public async ValueTask InitializeAsync() => _server = await OpenAiEmbeddingsStandIn.StartAsync(Dimensions, token: Key);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Vectors_come_back_in_order_at_unit_length_and_texts_sharing_words_are_closer()
    {
        using var embedder = Embedder();
        string[] texts = ["the garden needs water", "water the garden today", "the quarterly tax report"];

        var vectors = await embedder.EmbedAsync(texts, EmbeddingPurpose.Document);

        Assert.Equal(3, vectors.Count);
        Assert.All(vectors, v => Assert.InRange(TensorPrimitives.Norm(v), 0.999f, 1.001f));
        Assert.True(TensorPrimitives.Dot(vectors[0], vectors[1]) > TensorPrimitives.Dot(vectors[0], vectors[2]));
        for (var i = 0; i < texts.Length; i++)
        {
            var expected = OpenAiEmbeddingsStandIn.Vector(texts[i], Dimensions);
            Assert.True(TensorPrimitives.CosineSimilarity(expected, vectors[i]) > 0.9999f, $"vector {i} is not text {i}'s");
        }

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/embeddings", request.Path);
        Assert.Equal("Bearer " + Key, request.Authorization);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("remote-model", (string?)body["model"]);
        Assert.Equal(texts, body["input"]!.AsArray().Select(t => (string?)t));
    }

    [Theory]
    [InlineData(OpenAiEmbeddingsFault.ServerError, true, "500")]
    [InlineData(OpenAiEmbeddingsFault.Cut, true, "cut the connection")]
    [InlineData(OpenAiEmbeddingsFault.Malformed, false, "not JSON")]
    [InlineData(OpenAiEmbeddingsFault.WrongCount, false, "2 vectors for 3 texts")]
    [InlineData(OpenAiEmbeddingsFault.WrongDimensions, false, "65 dimensions")]
    public async Task Each_failure_of_the_server_is_an_embedding_exception_that_says_whether_to_retry(OpenAiEmbeddingsFault fault, bool transient, string says)
    {
        using var metrics = new MetricRecorder(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var embedder = Embedder();
        _server.Fault = fault;

        var failure = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync(["a", "b", "c"], EmbeddingPurpose.Document));

        Assert.Equal(transient, failure.IsTransient);
        Assert.Contains(says, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, failure.ToString(), StringComparison.Ordinal);
        Assert.All(_log.Entries, m => Assert.DoesNotContain(Key, m.Text, StringComparison.Ordinal));
        Assert.Equal(1, metrics.Sum("soma.memory.embedding.failures", "kind", transient ? "transient" : "refused"));
    }

    [Fact]
    public async Task A_slow_server_fails_as_transient_once_the_timeout_passes_instead_of_hanging()
    {
        using var embedder = Embedder(timeout: TimeSpan.FromMilliseconds(300));
        _server.Delay = TimeSpan.FromMinutes(5);

        // The guard only stops a hang from holding the run; the adapter's own deadline is what ends the call.
        var failure = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync(["slow"], EmbeddingPurpose.Query).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.True(failure.IsTransient);
        Assert.Contains("did not answer within 300 ms", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_down_is_transient_and_a_wrong_key_is_not()
    {
        using var wrongKey = new Embedder(Generator(apiKey: "sk-wrong"), Profile);
        var refused = await Assert.ThrowsAsync<EmbeddingException>(() => wrongKey.EmbedAsync(["x"], EmbeddingPurpose.Document));
        Assert.False(refused.IsTransient);
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Incorrect API key provided", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong", refused.ToString(), StringComparison.Ordinal);

        using var embedder = Embedder();
        await _server.StopListeningAsync();
        var down = await Assert.ThrowsAsync<EmbeddingException>(() => embedder.EmbedAsync(["x"], EmbeddingPurpose.Document));
        Assert.True(down.IsTransient);
        Assert.Contains("could not be reached", down.Message, StringComparison.Ordinal);

        await _server.StartListeningAsync();
        Assert.Single(await embedder.EmbedAsync(["x"], EmbeddingPurpose.Document));
    }

    [Fact]
    public async Task The_configured_provider_reaches_the_server_through_the_catalog_with_the_floor_and_dimensions_given()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Soma:Memory:Embeddings:Provider"] = "OpenAI",
            ["Soma:Memory:Embeddings:Model"] = "remote-model",
            ["Soma:Memory:Embeddings:BaseUrl"] = _server.BaseAddress.ToString(),
            ["Soma:Memory:Embeddings:ApiKey"] = Key,
            ["Soma:Memory:Embeddings:Dimensions"] = "64",
            ["Soma:Memory:Embeddings:MatchFloor"] = "0.4",
        }).Build();
        await using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration)
            .AddSomaEmbeddings(configuration).BuildServiceProvider();

        var embedder = services.GetRequiredService<IEmbedder>();

        Assert.Equal(("remote-model", 64, 0.4), (embedder.Model, embedder.Dimensions, embedder.MatchFloor));
        Assert.Single(await embedder.EmbedAsync(["hello"], EmbeddingPurpose.Query));
        Assert.Equal("Bearer " + Key, Assert.Single(_server.Requests).Authorization);
    }

    private static EmbeddingProfile Profile => new("remote-model", Dimensions, "", "", 0.3);

    private Embedder Embedder(TimeSpan? timeout = null) => new(Generator(timeout: timeout), Profile);

    private OpenAiEmbeddingGenerator Generator(string apiKey = Key, TimeSpan? timeout = null) =>
        new(_server.BaseAddress, "remote-model", apiKey, Dimensions, timeout ?? TimeSpan.FromSeconds(10),
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), _log);
}
