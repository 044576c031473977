using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;
using Soma.Memory.Vectors;

namespace Soma.Memory.Tests.Service;

/// <summary>
/// Re-embedding with another model while memories keep arriving and recall keeps answering: no write is lost, recall
/// never fails, models never mix, and at the end every memory has a current vector of the new model.
/// </summary>
public sealed class ReindexUnderLoadTests : IAsyncLifetime
{
    private const string NewModel = "arctic-embed-xs";
    private readonly string _tenant = $"t-{Guid.NewGuid():N}"[..20];
    private MemoryServiceHost _host = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await MemoryServiceHost.StartSqliteAsync();
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_reindex_while_memories_are_written_and_recalled_loses_nothing_and_covers_every_memory()
    {
        // Memories from before the reindex, with the configured model's vectors.
        for (var i = 0; i < 60; i++)
        {
            await RememberAsync($"before-{i}", $"before the change, note {i}: the orchard needs pruning in row {i}");
        }

        await RememberAsync("emma", "we celebrated Emma turning six with a concert");
        var vectors = _host.Services.GetRequiredService<IMemoryVectorStore>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await vectors.CountPendingAsync() > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The embedding pass did not embed the first memories within 2 minutes.");
            await Task.Delay(50);
        }

        await _host.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();
        var catalog = _host.Services.GetRequiredService<IEmbedderCatalog>();
        Assert.True(catalog.TryGet(NewModel, out var arctic));
        var reindexer = _host.Services.GetRequiredService<MemoryReindexer>();

        using var stop = new CancellationTokenSource();
        var written = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await RememberAsync($"during-{written}", $"while reindexing, note {written}: the greenhouse heater clicks");
                written++;
                await Task.Delay(50);
            }
        });
        var recalls = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Throws (failing the test) on any answer but 200, and the memory answering the question is always there.
                var found = await RecallAsync("what did I say about my daughter's birthday?");
                Assert.Contains(found["results"]!.AsArray(), r => (string)r!["key"]! == "emma");
                recalls++;
            }
        });

        var reports = new List<ReindexProgress>();
        await foreach (var progress in reindexer.RunAsync(arctic, _tenant))
        {
            reports.Add(progress);
        }

        await stop.CancelAsync();
        await Task.WhenAll(writer, reader);
        Assert.True(recalls > 0);
        Assert.True(written > 0);

        // Writes that landed behind the walk get theirs from a second run, which starts where the first left off.
        await foreach (var progress in reindexer.RunAsync(arctic, _tenant))
        {
            reports.Add(progress);
        }

        var last = reports[^1];
        Assert.True(last.Done);
        Assert.Equal(0, last.Failed);
        Assert.Equal(61 + written, last.Total);
        Assert.Equal(new VectorCoverage(61 + written, 61 + written), await vectors.CoverageAsync(NewModel, _tenant));
        Assert.Equal(60 + written, (await RecallAsync("orchard greenhouse", mode: "text", topK: 100))["total_results"]!.GetValue<int>());

        // Both models' vectors are in; a search uses one of them and still finds the answer by meaning.
        await _host.Services.GetRequiredService<VectorIndexSync>().CatchUpAsync();
        var index = _host.Services.GetRequiredService<VectorIndex>();
        Assert.Equal(61 + written, index.CountOf(_tenant, "agent", NewModel));
        var answer = (await RecallAsync("what did I say about my daughter's birthday?", mode: "vector"))["results"]!.AsArray();
        Assert.Equal("emma", (string)answer[0]!["key"]!);
    }

    private async Task RememberAsync(string key, string text)
    {
        using var request = Request("/memory/remember", $$"""{"tenant":"{{_tenant}}","namespace":"agent","key":"{{key}}","value":{"text":"{{text}}"} }""");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonNode> RecallAsync(string query, string mode = "hybrid", int topK = 5)
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
