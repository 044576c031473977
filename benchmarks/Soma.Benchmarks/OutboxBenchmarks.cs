using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Soma.Core.Storage;
using Soma.Storage.Sqlite;
using Soma.Testing;
using Soma.Testing.Engines;

namespace Soma.Benchmarks;

/// <summary>
/// Outbox throughput end to end: append rows in transactions of 25, then claim them in batches of 100 and mark them
/// sent, on SQLite (synchronous FULL and NORMAL) and PostgreSQL (fsync on). One operation is one row, so the
/// reported mean is the cost per row (rows/s = 1 s / mean). The baseline is the machine's own limit: the same rows
/// inserted into a bare SQLite table, 25 per fsynced transaction, with no outbox logic at all.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(8)]
public class OutboxBenchmarks
{
    private const int Rows = 1000;
    private const int RowsPerTransaction = 25;
    private const int ClaimBatch = 100;

    private readonly string _payload = BuildPayload();
    private TempDirectory _directory = null!;
    private PostgresServer _postgres = null!;
    private Stores _sqliteFull = null!;
    private Stores _sqliteNormal = null!;
    private Stores _pg = null!;
    private SqliteConnection _raw = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = new TempDirectory();
        var outboxOptions = Options.Create(new OutboxOptions());
        _sqliteFull = await Stores.SqliteAsync(Path.Combine(_directory.Path, "full.db"), SqliteSynchronous.Full, outboxOptions);
        _sqliteNormal = await Stores.SqliteAsync(Path.Combine(_directory.Path, "normal.db"), SqliteSynchronous.Normal, outboxOptions);
        _postgres = await PostgresServer.StartAsync();
        _pg = await Stores.PostgresAsync(await _postgres.CreateDatabaseAsync(), outboxOptions);

        _raw = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "raw.db")};Pooling=false");
        _raw.Open();
        using var setup = _raw.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE raw (id TEXT PRIMARY KEY, payload TEXT NOT NULL)";
        setup.ExecuteNonQuery();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _raw.Dispose();
        await _sqliteFull.DisposeAsync();
        await _sqliteNormal.DisposeAsync();
        await _pg.DisposeAsync();
        await _postgres.DisposeAsync();
        _directory.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows, Description = "bare SQLite insert, FULL (baseline)")]
    public void BareSqliteInsertFull()
    {
        for (var done = 0; done < Rows; done += RowsPerTransaction)
        {
            using var transaction = _raw.BeginTransaction();
            using var insert = _raw.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO raw (id, payload) VALUES ($id, $payload)";
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            insert.Parameters.AddWithValue("$payload", _payload);
            for (var i = 0; i < RowsPerTransaction; i++)
            {
                id.Value = Guid.CreateVersion7().ToString();
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    [Benchmark(OperationsPerInvoke = Rows, Description = "outbox SQLite FULL")]
    public Task OutboxSqliteFull() => _sqliteFull.MoveAsync(_payload);

    [Benchmark(OperationsPerInvoke = Rows, Description = "outbox SQLite NORMAL")]
    public Task OutboxSqliteNormal() => _sqliteNormal.MoveAsync(_payload);

    [Benchmark(OperationsPerInvoke = Rows, Description = "outbox PostgreSQL")]
    public Task OutboxPostgres() => _pg.MoveAsync(_payload);

    private static string BuildPayload()
    {
        // A typical event envelope is about half a kilobyte.
        var builder = new StringBuilder("{\"type\":\"conversation.assistant_final\",\"data\":{\"content\":\"");
        builder.Append('x', 420).Append("\"}}");
        return builder.ToString();
    }

    private sealed class Stores(IStore store, IOutbox outbox, IAsyncDisposable owner) : IAsyncDisposable
    {
        private int _tenant;

        public static async Task<Stores> SqliteAsync(string path, SqliteSynchronous synchronous, IOptions<OutboxOptions> outboxOptions)
        {
            var ports = SqliteEngine.Open(path, TimeProvider.System, outboxOptions.Value, new Dictionary<string, string?> { ["Soma:Store:Sqlite:Synchronous"] = synchronous.ToString() });
            await ports.Store.MigrateAsync();
            return new Stores(ports.Store, ports.Outbox, ports);
        }

        public static async Task<Stores> PostgresAsync(string connectionString, IOptions<OutboxOptions> outboxOptions)
        {
            var ports = PostgresEngine.Open(connectionString, TimeProvider.System, outboxOptions.Value);
            await ports.Store.MigrateAsync();
            return new Stores(ports.Store, ports.Outbox, ports);
        }

        public async Task MoveAsync(string payload)
        {
            // Each invocation uses its own tenant so claims only see this invocation's rows.
            var tenant = $"bench-{Interlocked.Increment(ref _tenant)}";
            for (var done = 0; done < Rows; done += RowsPerTransaction)
            {
                await using var transaction = await store.BeginAsync();
                for (var i = 0; i < RowsPerTransaction; i++)
                {
                    var id = Guid.CreateVersion7();
                    await outbox.AppendAsync(transaction, new OutboxMessage
                    {
                        Id = id,
                        TenantId = tenant,
                        Topic = "conversation.v1",
                        DedupeKey = id.ToString(),
                        Payload = payload,
                        CreatedAt = DateTimeOffset.UtcNow,
                    });
                }

                await transaction.CommitAsync();
            }

            var moved = 0;
            var request = new OutboxClaimRequest("bench", ClaimBatch, TimeSpan.FromMinutes(1)) { TenantId = tenant };
            while (await outbox.ClaimAsync(request) is { Count: > 0 } claimed)
            {
                moved += await outbox.MarkSentAsync("bench", [.. claimed.Select(c => c.Message.Id)]);
            }

            if (moved != Rows)
            {
                throw new InvalidOperationException($"Moved {moved} rows, expected {Rows}.");
            }
        }

        public ValueTask DisposeAsync() => owner.DisposeAsync();
    }
}
