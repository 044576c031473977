using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Soma.Core.Health;
using Soma.Core.Storage;

namespace Soma.Storage.Postgres;

/// <summary>
/// The scale-out store on PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>. Many processes may share the
/// database: claims use <c>FOR UPDATE SKIP LOCKED</c> and migrations take an advisory lock.
/// Commands and readers are disposed with plain <c>using</c>: disposing them does no I/O once their rows are read.
/// </summary>
internal sealed partial class PostgresStore : IStore, IAsyncDisposable
{
    // Any fixed number works; it only has to be the same in every process that migrates this database.
    private const long MigrationLockKey = 0x536f6d614d696772;

    // Statements kept prepared per connection when the connection string does not set Max Auto Prepare.
    private const int AutoPreparedStatements = 64;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;

    /// <summary>Creates the store; no connection is opened until the first call.</summary>
    public PostgresStore(IOptions<PostgresStoreOptions> options, TimeProvider timeProvider, ILogger<PostgresStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (string.IsNullOrWhiteSpace(options.Value.ConnectionString))
        {
            throw new ArgumentException("Soma:Store:Postgres:ConnectionString is required.", nameof(options));
        }

        TimeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var builder = new NpgsqlDataSourceBuilder(options.Value.ConnectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "soma";

        // Statements the adapters run again and again are prepared on each connection and reused across transactions
        // (parsed and planned once), unless the connection string says otherwise (Max Auto Prepare=0 behind a pooler that
        // cannot carry prepared statements).
        if (!Names(options.Value.ConnectionString, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        // A connection back in the pool is not reset (RESET ALL, CLOSE ALL, UNLISTEN, DISCARD TEMP…, sent with the next
        // query): the adapters leave no session state behind them (transaction-scoped locks, no SET, LISTEN or temporary
        // table), and the reset was run by the server at the start of every transaction. The connection string may
        // still ask for it (No Reset On Close=false).
        if (!Names(options.Value.ConnectionString, "No Reset On Close", "NoResetOnClose"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        _dataSource = builder.Build();
        GroupCommitLanes = options.Value.GroupCommit;
    }

    /// <inheritdoc />
    public string Engine => "postgres";

    /// <inheritdoc />
    public int GroupCommitLanes { get; }

    /// <summary>The clock every adapter on this store uses for "now".</summary>
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var newlyApplied = new List<string>();
        var transaction = await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            try
            {
                // The lock serializes concurrent migrators (several processes starting at once); it ends with the transaction.
                await ExecuteAsync(transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(transaction,
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL)",
                    cancellationToken).ConfigureAwait(false);

                var applied = new HashSet<string>(StringComparer.Ordinal);
                using (var command = transaction.CreateCommand("SELECT name FROM schema_migrations"))
                using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        applied.Add(reader.GetString(0));
                    }
                }

                foreach (var (name, sql) in EmbeddedMigrations.Load(typeof(PostgresStore).Assembly).Where(m => !applied.Contains(m.Name)))
                {
                    await ExecuteAsync(transaction, sql, cancellationToken).ConfigureAwait(false);
                    using var record = transaction.CreateCommand("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)");
                    record.Parameters.Add(new NpgsqlParameter { Value = name });
                    record.Parameters.Add(new NpgsqlParameter { Value = TimeProvider.GetUtcNow() });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    newlyApplied.Add(name);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                throw Translate(ex, "migrate the database");
            }
        }

        foreach (var name in newlyApplied)
        {
            Log.MigrationApplied(_logger, name);
        }

        return newlyApplied;
    }

    /// <inheritdoc />
    public async Task<IStoreTransaction> BeginAsync(CancellationToken cancellationToken = default) =>
        await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var settings = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
        var details = new Dictionary<string, object?>
        {
            ["engine"] = Engine,
            ["host"] = settings.Host,
            ["port"] = settings.Port,
            ["database"] = settings.Database,
        };
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            details["server_version"] = connection.ServerVersion;
            details["latency_ms"] = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
            return new ComponentHealth("store", HealthStatus.Normal, details);
        }
        catch (StoreException ex)
        {
            details["error"] = ex.Message;
            return new ComponentHealth("store", HealthStatus.Down, details);
        }
        catch (NpgsqlException ex)
        {
            details["error"] = ex.Message;
            return new ComponentHealth("store", HealthStatus.Down, details);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Opens a pooled connection.</summary>
    internal async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Translate(ex, "connect");
        }
    }

    /// <summary>Unwraps a transaction handed in by a caller, refusing one from another store.</summary>
    internal PostgresStoreTransaction Own(IStoreTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return transaction is PostgresStoreTransaction own && ReferenceEquals(own.Store, this)
            ? own.EnsureActive()
            : throw new ArgumentException("The transaction was not started by this PostgreSQL store.", nameof(transaction));
    }

    /// <summary>Maps an engine error to the store's exception, saying whether a retry can help.</summary>
    internal static StoreException Translate(NpgsqlException ex, string operation) =>
        new($"PostgreSQL could not {operation}: {(ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message)}", ex.IsTransient, ex);

    private async Task<PostgresStoreTransaction> BeginTransactionAsync(CancellationToken cancellationToken)
    {
        // The transaction begins with its first command (PostgresStoreTransaction): opening the connection is all for now.
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return new PostgresStoreTransaction(this, connection);
    }

    private static async Task ExecuteAsync(PostgresStoreTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = transaction.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.PostgresStoreMigrationApplied, Level = LogLevel.Information, Message = "Applied PostgreSQL migration {Migration}")]
        public static partial void MigrationApplied(ILogger logger, string migration);
    }

    // Whether the connection string names a key itself (Npgsql's builder answers for every key it knows).
    private static bool Names(string connectionString, params string[] keys)
    {
        var raw = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return keys.Any(raw.ContainsKey);
    }
}
