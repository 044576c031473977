using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Soma.Contracts.Identity;
using Soma.Core.Storage;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Memory.Tests.Sync;

/// <summary>
/// The pending memory writes a tenant has, as the gateway counts them for admission, the status endpoint and the
/// gauges, on a real SQLite outbox.
/// </summary>
public sealed class MemoryBacklogTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("soma-backlog");
    private ServiceProvider _services = null!;

    private MemoryBacklog Backlog => _services.GetRequiredService<MemoryBacklog>();

    public async ValueTask InitializeAsync()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 9, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<IIdGenerator>(new UuidV7Generator(clock));
        services.AddSqliteStore();
        services.PostConfigure<SqliteStoreOptions>(o => o.Path = Path.Combine(_directory.Path, "soma.db"));
        services.AddSomaMemory();
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<IStore>().MigrateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Refreshes_that_overlap_never_count_fewer_writes_than_the_outbox_holds()
    {
        // Each round commits new writes (counted by this process), then reads the store from four threads at once, as the
        // status endpoint's calls and the background refresh do. Two refreshes that took the same new writes back out of
        // the process's count both used to subtract them, leaving the count that many short.
        const int Rounds = 40;
        const int WritesPerRound = 5;
        var session = Guid.NewGuid();
        var memory = _services.GetRequiredService<MemoryWriteThrough>();
        var store = _services.GetRequiredService<IStore>();
        await Backlog.RefreshAsync(TestContext.Current.CancellationToken);
        var shortRounds = new List<string>();
        for (var round = 1; round <= Rounds; round++)
        {
            await using (var transaction = await store.BeginAsync(TestContext.Current.CancellationToken))
            {
                for (var i = 0; i < WritesPerRound; i++)
                {
                    await memory.RememberMessageAsync(transaction, "acme", session, Guid.NewGuid(), "user", $"message {round}.{i}", cancellationToken: TestContext.Current.CancellationToken);
                }

                await transaction.CommitAsync(TestContext.Current.CancellationToken);
            }

            var expected = (long)round * WritesPerRound;
            Assert.Equal(expected, Backlog.Pending("acme"));
            using var start = new Barrier(4);
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                Backlog.RefreshAsync().GetAwaiter().GetResult();
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            if (Backlog.Pending("acme") != expected)
            {
                shortRounds.Add($"round {round}: {Backlog.Pending("acme")} pending counted, {expected} in the outbox");
            }
        }

        Assert.True(shortRounds.Count == 0, string.Join("\n", shortRounds));
        var depth = Assert.Single(await _services.GetRequiredService<IOutbox>().GetDepthAsync([.. MemoryKeys.Topics], TestContext.Current.CancellationToken));
        Assert.Equal((long)Rounds * WritesPerRound, depth.Pending);
        Assert.Equal(depth.Pending, Assert.Single(Backlog.Snapshot()).Pending);
    }
}
