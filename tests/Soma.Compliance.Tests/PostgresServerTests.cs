using Npgsql;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>The fixture the PostgreSQL suites stand on: a real server, isolated databases, nothing left behind.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public async Task A_server_starts_gives_isolated_databases_and_is_removed_on_dispose()
    {
        var server = await PostgresServer.StartAsync();
        var directory = Path.GetDirectoryName(server.DataDirectory)!;
        try
        {
            Assert.True(Directory.Exists(server.DataDirectory));
            var version = await ScalarAsync<string>(server.AdminConnectionString, "select version()");
            Assert.StartsWith("PostgreSQL ", version, StringComparison.Ordinal);
            Assert.Contains($"Port={server.Port}", server.AdminConnectionString, StringComparison.Ordinal);

            var first = await server.CreateDatabaseAsync();
            var second = await server.CreateDatabaseAsync();
            Assert.NotEqual(first, second);
            await ScalarAsync<int>(first, "create table marker (id int); insert into marker values (42); select 1");
            Assert.Equal(42, await ScalarAsync<int>(first, "select id from marker"));
            Assert.Null(await ScalarAsync<string?>(second, "select to_regclass('marker')::text"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(Directory.Exists(directory));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<string>(server.AdminConnectionString + ";Pooling=false;Timeout=2", "select 1"));
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync();
        return result is DBNull or null ? default! : (T)result;
    }
}
