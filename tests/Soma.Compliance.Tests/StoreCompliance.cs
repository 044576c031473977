using Soma.Core.Health;
using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteStoreCompliance(SqliteEngine engine) : StoreCompliance<SqliteEngine>(engine)
{
    [Fact]
    public async Task A_committed_write_survives_reopening_the_file()
    {
        var path = Engine.NewPath();
        var tenant = NewTenant();
        var session = new Session(Guid.CreateVersion7(), tenant, "durable", null, Start, Start);
        await using (var first = SqliteEngine.Open(path, Clock))
        {
            await first.Store.MigrateAsync();
            await using var transaction = await first.Store.BeginAsync();
            await first.Sessions.CreateAsync(transaction, session);
            await transaction.CommitAsync();
        }

        await using var second = SqliteEngine.Open(path, Clock);
        Assert.Empty(await second.Store.MigrateAsync());
        Assert.Equal("durable", (await second.Sessions.GetAsync(tenant, session.Id))!.Title);
    }
}

public sealed class PostgresStoreCompliance(PostgresEngine engine) : StoreCompliance<PostgresEngine>(engine);

/// <summary>Migrations and health, the same on every engine.</summary>
public abstract class StoreCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    [Fact]
    public async Task Migrations_apply_once_and_are_idempotent_even_when_two_start_at_once()
    {
        await using var fresh = await Engine.OpenAsync(Clock);
        var both = await Task.WhenAll(fresh.Store.MigrateAsync(), fresh.Store.MigrateAsync());
        var applied = both.SelectMany(names => names).ToList();
        Assert.NotEmpty(applied);
        Assert.Equal(applied.Distinct().Count(), applied.Count);
        Assert.Contains("0001_sessions_outbox_audit", applied);
        Assert.Empty(await fresh.Store.MigrateAsync());
    }

    [Fact]
    public async Task Health_is_normal_names_the_engine_and_never_shows_a_password()
    {
        var health = await Store.CheckHealthAsync();
        Assert.Equal("store", health.Name);
        Assert.Equal(HealthStatus.Normal, health.Status);
        Assert.Equal(Engine.Name, health.Details["engine"]);
        Assert.Equal(Engine.Name, Store.Engine);
        Assert.True(health.Details.ContainsKey("latency_ms"));
        Assert.DoesNotContain(health.Details, d => d.Key.Contains("password", StringComparison.OrdinalIgnoreCase)
            || (d.Value?.ToString() ?? "").Contains("password", StringComparison.OrdinalIgnoreCase)
            || (Engine.Secret is { } secret && (d.Value?.ToString() ?? "").Contains(secret, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_committed_transaction_cannot_be_used_again()
    {
        await using var transaction = await Store.BeginAsync();
        await transaction.CommitAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Ports.Sessions.CreateAsync(transaction, new Session(Guid.CreateVersion7(), NewTenant(), null, null, Start, Start)));
    }

    [Fact]
    public async Task Commit_callbacks_run_after_the_commit_in_the_order_they_were_registered()
    {
        var tenant = NewTenant();
        var session = new Session(Guid.CreateVersion7(), tenant, "seen", null, Start, Start);
        var ran = new List<string>();
        await using var transaction = await Store.BeginAsync();
        await Ports.Sessions.CreateAsync(transaction, session);
        transaction.OnCommitted(() =>
        {
            // Another connection already sees what the transaction wrote.
            var visible = Ports.Sessions.GetAsync(tenant, session.Id).GetAwaiter().GetResult() is not null;
            ran.Add($"first:{visible}");
        });
        transaction.OnCommitted(() => ran.Add("second"));
        transaction.OnCommitted(() => ran.Add("third"));
        Assert.Empty(ran);

        await transaction.CommitAsync();

        Assert.Equal(["first:True", "second", "third"], ran);
        Assert.Throws<InvalidOperationException>(() => transaction.OnCommitted(() => ran.Add("late")));
        await transaction.DisposeAsync();
        Assert.Equal(["first:True", "second", "third"], ran);
    }

    [Fact]
    public async Task Commit_callbacks_never_run_when_the_transaction_is_rolled_back()
    {
        var ran = new List<string>();
        await using (var transaction = await Store.BeginAsync())
        {
            await Ports.Sessions.CreateAsync(transaction, new Session(Guid.CreateVersion7(), NewTenant(), null, null, Start, Start));
            transaction.OnCommitted(() => ran.Add("rolled back"));
        }

        // Nor in a later transaction, nor when that one commits.
        await using (var next = await Store.BeginAsync())
        {
            next.OnCommitted(() => ran.Add("next"));
            await next.CommitAsync();
        }

        Assert.Equal(["next"], ran);
    }
}
