using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Storage.Postgres;

namespace Soma.Compliance.Tests;

/// <summary>
/// On PostgreSQL a transaction whose only write is its last change sends its own <c>BEGIN</c>, the change and its
/// <c>COMMIT</c> in one batch. This checks what that batch leaves behind on the pool's only connection: nothing when the
/// server refuses the change, and a connection on which the next such batch writes the change whole.
/// </summary>
public sealed class PostgresLastChangeTests(PostgresEngine engine) : IClassFixture<PostgresEngine>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_last_change_the_server_refuses_writes_nothing_and_the_connection_serves_the_next_transaction()
    {
        // One connection in the pool: every transaction below runs on the connection the refused batch used.
        await using var ports = PostgresEngine.Open(await engine.Server.CreateDatabaseAsync() + ";Maximum Pool Size=1", TimeProvider.System);
        await ports.Store.MigrateAsync();
        var now = DateTimeOffset.UtcNow;
        var run = new RunRecord(Guid.CreateVersion7(), "t", "demo.linear", 1, RunState.Accepted, 0, 0, "{}", now, now);
        await using (var transaction = await ports.Store.BeginAsync())
        {
            await ports.Runs.CreateAsync(transaction, run);
            await transaction.CommitAsync();
        }

        Assert.Single(await ports.Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease)));
        var step = OutboxRows.New("t", now, """{"n":1}""", "run.v1", partitionKey: run.Id.ToString());

        // PostgreSQL's text holds no NUL character: the server refuses the statement after the BEGIN ran.
        await using (var transaction = await ports.Store.BeginAsync())
        {
            var refused = new RunCommit("t", run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{\"text\":\"a\0b\"}"), Events = [step], Last = true };
            var error = await Assert.ThrowsAsync<StoreException>(() => ports.Runs.CommitAsync(transaction, refused));
            Assert.Contains("commit a run", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<StoreException>(() => transaction.CommitAsync());
        }

        Assert.Equal(0, (await ports.Runs.GetAsync("t", run.Id))!.Version);
        Assert.Empty(await ports.Checkpoints.ListVersionsAsync("t", run.Id));
        Assert.Empty(await ports.Outbox.ClaimAsync(new OutboxClaimRequest("reader", 10, Lease) { TenantId = "t" }));

        // The same change, valid now, on the same connection: written whole, once.
        await using (var transaction = await ports.Store.BeginAsync())
        {
            var change = new RunCommit("t", run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, """{"text":"ab"}"""), Events = [step], Last = true };
            Assert.Equal(new RunCommitResult(true, 1, 1), await ports.Runs.CommitAsync(transaction, change));
            await transaction.CommitAsync();
        }

        Assert.Equal(1, (await ports.Runs.GetAsync("t", run.Id))!.Version);
        Assert.Equal([1L], await ports.Checkpoints.ListVersionsAsync("t", run.Id));
        Assert.Equal([step.Payload], (await ports.Outbox.ClaimAsync(new OutboxClaimRequest("reader", 10, Lease) { TenantId = "t" })).Select(e => e.Message.Payload));
    }
}
