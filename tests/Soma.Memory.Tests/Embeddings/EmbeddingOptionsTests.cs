using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;

namespace Soma.Memory.Tests.Embeddings;

/// <summary><c>Soma:Memory:Embeddings</c>: what starts, what stops the start (naming the key), and what gets registered.</summary>
public sealed class EmbeddingOptionsTests
{
    [Fact]
    public async Task An_unknown_in_process_model_stops_the_start_naming_the_key_and_the_known_models()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new() { ["Soma:Memory:Embeddings:Model"] = "bert-huge" }));

        var message = Assert.Single(failure.Failures);
        Assert.Contains("Soma:Memory:Embeddings:Model 'bert-huge'", message, StringComparison.Ordinal);
        Assert.Contains("all-minilm-l6-v2, arctic-embed-xs", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openai_provider_without_its_url_dimensions_and_floor_stops_the_start_naming_each_key()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new()
        {
            ["Soma:Memory:Embeddings:Provider"] = "openai",
            ["Soma:Memory:Embeddings:Model"] = "text-embedding-3-small",
            ["Soma:Memory:Embeddings:ApiKey"] = "sk-secret",
        }));

        Assert.Contains(failure.Failures, f => f.StartsWith("Soma:Memory:Embeddings:BaseUrl must be set", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Soma:Memory:Embeddings:Dimensions must be set", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Soma:Memory:Embeddings:MatchFloor must be set", StringComparison.Ordinal));
        Assert.DoesNotContain("sk-secret", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Provider", "Onnx", "Soma:Memory:Embeddings:Provider must be 'InProcess', 'OpenAI' or 'None'")]
    [InlineData("BatchSize", "0", "Soma:Memory:Embeddings:BatchSize must be between 1 and 256 (got 0)")]
    [InlineData("Threads", "-1", "Soma:Memory:Embeddings:Threads must be between 1 and 256 (got -1)")]
    [InlineData("QueueCapacity", "0", "Soma:Memory:Embeddings:QueueCapacity must be between 1 and 100000 (got 0)")]
    [InlineData("TimeoutMilliseconds", "0", "Soma:Memory:Embeddings:TimeoutMilliseconds must be between 10 and 600000 (got 0)")]
    [InlineData("MatchFloor", "1.5", "Soma:Memory:Embeddings:MatchFloor must be a cosine similarity between -1 and 1 (got 1.5)")]
    public async Task A_value_out_of_range_stops_the_start_naming_its_key(string key, string value, string expected)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new() { ["Soma:Memory:Embeddings:" + key] = value }));

        Assert.Contains(failure.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task By_default_the_embedder_is_minilm_in_process_with_its_measured_floor()
    {
        using var host = await StartAsync([]);

        var embedder = host.Services.GetRequiredService<IEmbedder>();
        var catalog = host.Services.GetRequiredService<IEmbedderCatalog>();

        Assert.Equal(("all-minilm-l6-v2", 384, 0.20), (embedder.Model, embedder.Dimensions, embedder.MatchFloor));
        Assert.Same(embedder, catalog.Configured);
        Assert.True(catalog.TryGet("ALL-MiniLM-L6-v2", out var same));
        Assert.Same(embedder, same);
        Assert.True(catalog.TryGet("arctic-embed-xs", out var arctic));
        Assert.Equal(("arctic-embed-xs", 384, 0.55), (arctic.Model, arctic.Dimensions, arctic.MatchFloor));
        Assert.False(catalog.TryGet("text-embedding-3-small", out _));
        Assert.Equal(["all-minilm-l6-v2", "arctic-embed-xs"], catalog.InProcessModels);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_configured_floor_overrides_the_measured_one_for_the_configured_model_only()
    {
        using var host = await StartAsync(new() { ["Soma:Memory:Embeddings:Model"] = "arctic-embed-xs", ["Soma:Memory:Embeddings:MatchFloor"] = "0.6" });

        var catalog = host.Services.GetRequiredService<IEmbedderCatalog>();

        Assert.Equal(("arctic-embed-xs", 0.6), (host.Services.GetRequiredService<IEmbedder>().Model, host.Services.GetRequiredService<IEmbedder>().MatchFloor));
        Assert.True(catalog.TryGet("all-minilm-l6-v2", out var minilm));
        Assert.Equal(0.20, minilm.MatchFloor);
        await host.StopAsync();
    }

    [Fact]
    public async Task Provider_none_registers_no_embedder_so_recall_is_by_text_only()
    {
        using var host = await StartAsync(new() { ["Soma:Memory:Embeddings:Provider"] = "None" });

        Assert.Null(host.Services.GetService<IEmbedder>());
        Assert.Null(host.Services.GetRequiredService<IEmbedderCatalog>().Configured);
        await host.StopAsync();
    }

    private static async Task<IHost> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSomaEmbeddings(builder.Configuration);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }
}
