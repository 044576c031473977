using System.Text.Json;
using Soma.Core.Memory;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Memory.Tests.Store;

/// <summary><c>soma backup</c> and <c>soma restore</c> carry the vectors and the queue of memories waiting for one.</summary>
public sealed class MemoryVectorBackupTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new("soma-vector-backup");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_restored_database_has_the_vectors_the_queue_and_later_saves_still_read_after_the_last_sequence()
    {
        var database = Path.Combine(_directory.Path, "soma.db");
        var backup = Path.Combine(_directory.Path, "backup.db");
        var restored = Path.Combine(_directory.Path, "restored.db");
        IReadOnlyList<StoredVector> saved;
        await using (var store = await OpenAsync(database))
        {
            var (memories, vectors) = (store.Memories, store.Vectors);
            await memories.UpsertAsync("t", "agent", [Item("a", "one"), Item("b", "two"), Item("c", "three")], Now);
            var leased = await vectors.LeasePendingAsync(10, TimeSpan.FromMinutes(1), Now);
            await vectors.SaveAsync(leased.Where(p => p.Key != "c").Select(p => new MemoryVector(p.MemoryId, p.Version, "minilm", [0.6f, 0.8f])).ToList(), Now, dequeue: true);
            saved = await vectors.ReadVectorsAsync(0, 10);
            await SqliteBackup.BackupAsync(database, backup);
        }

        await SqliteBackup.RestoreAsync(backup, restored);

        await using (var store = await OpenAsync(restored))
        {
            var vectors = store.Vectors;
            Assert.Equal(saved.Select(v => (v.Sequence, v.Key, v.Vector[1])), (await vectors.ReadVectorsAsync(0, 10)).Select(v => (v.Sequence, v.Key, v.Vector[1])));
            var waiting = Assert.Single(await vectors.LeasePendingAsync(10, TimeSpan.FromMinutes(1), Now.AddMinutes(5)));
            Assert.Equal("c", waiting.Key);

            await vectors.SaveAsync([new MemoryVector(waiting.MemoryId, waiting.Version, "minilm", [1f, 0f])], Now, dequeue: true);
            Assert.Equal("c", Assert.Single(await vectors.ReadVectorsAsync(saved[^1].Sequence, 10)).Key);
            Assert.Equal(new VectorCoverage(3, 3), await vectors.CoverageAsync("minilm", null));
        }
    }

    private static async Task<StorePorts> OpenAsync(string path)
    {
        var store = SqliteEngine.Open(path, TimeProvider.System);
        await store.Store.MigrateAsync();
        return store;
    }

    private static RememberItem Item(string key, string text)
    {
        using var value = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text }));
        return new RememberItem(key, value.RootElement.Clone());
    }
}
