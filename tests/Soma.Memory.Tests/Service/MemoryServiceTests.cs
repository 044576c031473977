using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Service;
using Soma.Testing;

namespace Soma.Memory.Tests.Service;

/// <summary>The service in-process (as the embedded default uses it), on a real SQLite store.</summary>
public sealed class MemoryServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("soma-memory-service");
    private StorePorts _store = null!;
    private MemoryService _service = null!;

    public async ValueTask InitializeAsync()
    {
        _store = SqliteEngine.Open(Path.Combine(_directory.Path, "m.db"), TimeProvider.System);
        await _store.Store.MigrateAsync();
        _service = new MemoryService(_store.Memories, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Remember_recall_and_link_work_in_process()
    {
        Assert.False((await _service.RememberAsync(Remember("k1", "in process words"))).Deduplicated);
        Assert.True((await _service.RememberAsync(Remember("k1", "in process words"))).Deduplicated);
        await _service.LinkAsync("acme", new LinkRequest("k1", "k0", "answers", 0.5));

        var found = await _service.RecallAsync(new RecallRequest("process", "acme", "agent"));

        var hit = Assert.Single(found.Results);
        Assert.Equal([new MemoryLink("answers", "k0", 0.5)], hit.Links);
    }

    [Fact]
    public async Task A_batch_of_several_answers_ok_with_every_result()
    {
        var answer = await _service.RememberBatchAsync(new RememberBatchRequest("acme", "agent", [Item("a"), Item("b")]));

        Assert.True(answer.Ok);
        Assert.Equal(["a", "b"], answer.Results.Select(r => r.Key));
    }

    [Fact]
    public async Task Linking_from_an_unknown_key_throws_not_found()
    {
        var error = await Assert.ThrowsAsync<MemoryNotFoundException>(() => _service.LinkAsync("acme", new LinkRequest("nobody", "x", "rel")));
        Assert.Contains("from_key", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Validation_names_the_field()
    {
        Assert.Contains("tenant", (await Refused(() => _service.RememberAsync(Remember("k", "x") with { Tenant = " " }))).Message, StringComparison.Ordinal);
        Assert.Contains("items[1].key", (await Refused(() => _service.RememberBatchAsync(new RememberBatchRequest("acme", "agent", [Item("a"), Item("")])))).Message, StringComparison.Ordinal);
        Assert.Contains("items", (await Refused(() => _service.RememberBatchAsync(new RememberBatchRequest("acme", "agent", Enumerable.Range(0, 101).Select(i => Item($"k{i}")).ToList())))).Message, StringComparison.Ordinal);
        Assert.Contains("tags[0]", (await Refused(() => _service.RememberAsync(Remember("k", "x") with { Tags = [new string('t', 129)] }))).Message, StringComparison.Ordinal);
        Assert.Contains("links[0].target", (await Refused(() => _service.RememberAsync(Remember("k", "x") with { Links = [new MemoryLink("rel", "")] }))).Message, StringComparison.Ordinal);
        Assert.Contains("min_score", (await Refused(() => _service.RecallAsync(new RecallRequest("q", "acme", "agent", MinScore: -0.1)))).Message, StringComparison.Ordinal);
        Assert.Contains("type", (await Refused(() => _service.LinkAsync("acme", new LinkRequest("a", "b", "")))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_is_healthy_while_the_store_reads_and_critical_when_it_cannot()
    {
        Assert.Equal(new MemoryHealthResponse(true, true, "healthy"), await _service.HealthAsync());

        await _store.DisposeAsync();

        Assert.Equal(new MemoryHealthResponse(false, false, "critical"), await _service.HealthAsync());
    }

    private static async Task<MemoryValidationException> Refused(Func<Task> call) => await Assert.ThrowsAsync<MemoryValidationException>(call);

    private static RememberRequest Remember(string key, string text)
    {
        using var value = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text }));
        return new RememberRequest("acme", "agent", key, value.RootElement.Clone());
    }

    private static RememberItem Item(string key)
    {
        using var value = JsonDocument.Parse("""{"text":"batch item"}""");
        return new RememberItem(key, value.RootElement.Clone());
    }
}
