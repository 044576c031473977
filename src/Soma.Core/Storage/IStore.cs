using Soma.Core.Health;

namespace Soma.Core.Storage;

/// <summary>
/// The configured store engine: migrations, transactions and health. Writes that must happen together
/// (a message, its run, its outbox rows) share one <see cref="IStoreTransaction"/> from <see cref="BeginAsync"/>.
/// </summary>
public interface IStore : IHealthReporter
{
    /// <summary>The engine's name: <c>sqlite</c> or <c>postgres</c>.</summary>
    string Engine { get; }

    /// <summary>
    /// How many shared transactions the <see cref="GroupCommitter"/> keeps open at once, each carrying the commits of the
    /// concurrent callers that queued meanwhile; 0 when every commit goes alone in its own transaction. SQLite takes one
    /// writer at a time, so 1 there, or 2 when it flushes its log apart from the commit (one lane's batch runs its
    /// statements while the other's is flushed); on PostgreSQL <c>Soma:Store:Postgres:GroupCommit</c> decides.
    /// </summary>
    int GroupCommitLanes { get; }

    /// <summary>Applies every versioned migration not yet applied, in order, each in its own transaction.</summary>
    /// <returns>The names of the migrations applied by this call (empty when the schema was current).</returns>
    Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Starts a write transaction. Disposing it without <see cref="IStoreTransaction.CommitAsync"/> rolls it back.</summary>
    Task<IStoreTransaction> BeginAsync(CancellationToken cancellationToken = default);
}
