using Soma.Storage.Postgres;

namespace Soma.Compliance.Tests;

/// <summary>
/// On PostgreSQL the statements the adapters repeat are prepared on the connection and reused by later transactions,
/// unless the connection string sets <c>Max Auto Prepare</c> itself (0 behind a pooler that cannot carry them).
/// </summary>
public sealed class PostgresPreparedStatementTests(PostgresEngine engine) : IClassFixture<PostgresEngine>
{
    [Theory]
    [InlineData("", true)]
    [InlineData(";Max Auto Prepare=0", false)]
    public async Task Repeated_writes_run_prepared_statements_unless_the_connection_string_turns_them_off(string setting, bool prepared)
    {
        // One connection in the pool: the statements the writes prepared are on the connection read below.
        var connectionString = await engine.Server.CreateDatabaseAsync() + ";Maximum Pool Size=1" + setting;
        await using var ports = PostgresEngine.Open(connectionString, TimeProvider.System);
        var store = (PostgresStore)ports.Store;
        await store.MigrateAsync();
        var outbox = ports.Outbox;
        for (var i = 0; i < 5; i++)
        {
            await using var transaction = await store.BeginAsync();
            await outbox.AppendAsync(transaction, OutboxRows.New("t", DateTimeOffset.UtcNow, """{"text":"hello"}"""));
            await transaction.CommitAsync();
        }

        await using var connection = await store.OpenAsync(CancellationToken.None);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM pg_prepared_statements WHERE statement ILIKE '%INSERT INTO outbox%'";
        var statements = (long)(await count.ExecuteScalarAsync())!;
        Assert.Equal(prepared, statements > 0);
    }
}
