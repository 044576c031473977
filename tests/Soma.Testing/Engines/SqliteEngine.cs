using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Storage.Sqlite;

namespace Soma.Testing.Engines;

/// <summary>A real SQLite file per store, in a temp directory the engine removes.</summary>
public sealed class SqliteEngine : StoreEngine
{
    private readonly TempDirectory _directory = new("soma-sqlite");

    public override string Name => "sqlite";

    /// <summary>A path for a new database file in the engine's directory.</summary>
    public string NewPath() => Path.Combine(_directory.Path, $"{Guid.NewGuid():N}.db");

    /// <summary>The ports of the SQLite file at <paramref name="path"/> (created if missing, not migrated).</summary>
    public static StorePorts Open(string path, TimeProvider time, OutboxOptions? outbox = null, IReadOnlyDictionary<string, string?>? settings = null) =>
        new SqliteEngine().Build(Settings(path), time, outbox, settings);

    /// <summary>
    /// A database at <paramref name="path"/> with the shipped migrations before <paramref name="stop"/> applied and
    /// recorded as the store records them: a database as a release before that migration left it.
    /// </summary>
    public static void MigrateUpTo(string path, string stop)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)");
        var migrations = EmbeddedMigrations.Load(typeof(SqliteBackup).Assembly);
        if (migrations.All(m => m.Name != stop))
        {
            throw new ArgumentException($"No shipped migration is named {stop}.", nameof(stop));
        }

        foreach (var (name, sql) in migrations.TakeWhile(m => m.Name != stop))
        {
            Execute(connection, sql);
            using var record = connection.CreateCommand();
            record.CommandText = "INSERT INTO schema_migrations (name, applied_at) VALUES ($name, 0)";
            record.Parameters.AddWithValue("$name", name);
            record.ExecuteNonQuery();
        }
    }

    /// <summary>Whether the database at <paramref name="path"/> has an index named <paramref name="name"/>.</summary>
    public static bool HasIndex(string path, string name)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $name";
        command.Parameters.AddWithValue("$name", name);
        return (long)command.ExecuteScalar()! == 1;
    }

    public override ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }

    protected override Task<Dictionary<string, string?>> NewStoreSettingsAsync() => Task.FromResult(Settings(NewPath()));

    protected override void AddStore(IServiceCollection services) => services.AddSqliteStore();

    private static Dictionary<string, string?> Settings(string path) => new() { ["Soma:Store:Sqlite:Path"] = path };

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
