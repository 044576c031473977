using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;

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

    public override ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }

    protected override Task<Dictionary<string, string?>> NewStoreSettingsAsync() => Task.FromResult(Settings(NewPath()));

    protected override void AddStore(IServiceCollection services) => services.AddSqliteStore();

    private static Dictionary<string, string?> Settings(string path) => new() { ["Soma:Store:Sqlite:Path"] = path };
}
