using System.Text.Json;
using Soma.Core.Memory;
using Soma.Testing;

namespace Soma.Memory.Tests.Store;

/// <summary>A memory database made before a migration keeps its memories, searchable and linkable, after it.</summary>
public sealed class SqliteMemoryMigrationTests : IDisposable
{
    private const string DropsTenantKeyIndex = "0013_memories_without_tenant_key_index";
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new("soma-memory-migration");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Memories_written_before_the_tenant_key_index_was_dropped_are_still_found_linked_and_updated()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        SqliteEngine.MigrateUpTo(path, DropsTenantKeyIndex);
        Assert.True(SqliteEngine.HasIndex(path, "memories_tenant_key"));
        await using (var before = SqliteEngine.Open(path, TimeProvider.System))
        {
            await before.Memories.UpsertAsync("t", "agent", [Item("question", "the rollback window"), Item("answer", "six in the morning", [new MemoryLink("answers", "question")])], Now);
            await before.Memories.UpsertAsync("t", "notes", [Item("note", "rollback drill owner")], Now);
            await before.Memories.UpsertAsync("other", "agent", [Item("theirs", "rollback")], Now);
        }

        await using var after = SqliteEngine.Open(path, TimeProvider.System);
        // This migration, then the ones shipped after it.
        Assert.Equal(DropsTenantKeyIndex, (await after.Store.MigrateAsync())[0]);

        Assert.False(SqliteEngine.HasIndex(path, "memories_tenant_key"));
        var found = await after.Memories.SearchAsync(new RecallRequest("rollback", "t", "agent"), Now);
        var question = Assert.Single(found.Results);
        Assert.Equal("question", question.Key);
        Assert.Equal([new MemoryLink("answers", "question")], Assert.Single((await after.Memories.SearchAsync(new RecallRequest("morning", "t", "agent"), Now)).Results).Links);
        Assert.Equal("note", Assert.Single((await after.Memories.SearchAsync(new RecallRequest("drill", "t", "notes"), Now)).Results).Key);

        // /link finds its source in any namespace of the tenant, and only of that tenant.
        Assert.True(await after.Memories.LinkAsync("t", new LinkRequest("note", "question", "about")));
        Assert.True(await after.Memories.LinkAsync("t", new LinkRequest("answer", "note", "see")));
        Assert.False(await after.Memories.LinkAsync("t", new LinkRequest("theirs", "question", "about")));
        Assert.False(await after.Memories.LinkAsync("nobody", new LinkRequest("note", "question", "about")));

        var updated = await after.Memories.UpsertAsync("t", "agent", [Item("question", "the new window")], Now.AddMinutes(1));
        Assert.True(Assert.Single(updated).Deduplicated);
        Assert.Empty((await after.Memories.SearchAsync(new RecallRequest("rollback", "t", "agent"), Now)).Results);
        Assert.Equal("question", Assert.Single((await after.Memories.SearchAsync(new RecallRequest("new", "t", "agent"), Now)).Results).Key);
    }

    private static RememberItem Item(string key, string text, IReadOnlyList<MemoryLink>? links = null)
    {
        using var value = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text }));
        return new RememberItem(key, value.RootElement.Clone(), Links: links);
    }
}
