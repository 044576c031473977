using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteUsageLedgerCompliance(SqliteEngine engine) : UsageLedgerCompliance<SqliteEngine>(engine);

public sealed class PostgresUsageLedgerCompliance(PostgresEngine engine) : UsageLedgerCompliance<PostgresEngine>(engine);

/// <summary>Token usage summed per tenant, UTC day and model.</summary>
public abstract class UsageLedgerCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    private static readonly DateOnly Day0 = new(2025, 12, 31);
    private static readonly DateOnly Day1 = new(2026, 11, 24);
    private static readonly DateOnly Day2 = new(2026, 11, 25);
    private static readonly DateOnly Day3 = new(2026, 11, 26);
    private static readonly DateOnly Day4 = new(2027, 1, 1);

    private IUsageLedger Usage => Ports.Usage;

    [Fact]
    public async Task Calls_and_tokens_are_summed_per_day_and_model_and_listed_newest_day_first_within_an_inclusive_range()
    {
        var tenant = NewTenant();
        var big = (long)int.MaxValue + 1;
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "beta-model", Day2, 100, 10)));
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "beta-model", Day2, 250, 25)));
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "alpha-model", Day2, 7, 3)));
        await InTransactionAsync(async tx =>
        {
            // Twice in one transaction: the second adds to the row the first created.
            await Usage.RecordAsync(tx, new UsageRecord(tenant, "beta-model", Day1, 1, 2));
            await Usage.RecordAsync(tx, new UsageRecord(tenant, "beta-model", Day1, 3, 4));
        });
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "alpha-model", Day3, 0, 0)));

        // Counts beyond 32 bits are kept whole.
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "alpha-model", Day4, big, big)));
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "alpha-model", Day4, big, 1)));
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "alpha-model", Day0, 5, 5)));

        Assert.Equal(
            [
                new UsageTotal(Day4, "alpha-model", 2, 2 * big, big + 1),
                new UsageTotal(Day3, "alpha-model", 1, 0, 0),
                new UsageTotal(Day2, "alpha-model", 1, 7, 3),
                new UsageTotal(Day2, "beta-model", 2, 350, 35),
                new UsageTotal(Day1, "beta-model", 2, 4, 6),
                new UsageTotal(Day0, "alpha-model", 1, 5, 5),
            ],
            await Usage.ListAsync(tenant, Day0, Day4));

        // Both ends of the range are included; days outside it are left out.
        Assert.Equal([Day3, Day2, Day2, Day1], (await Usage.ListAsync(tenant, Day1, Day3)).Select(t => t.Day));
        Assert.Equal([Day2, Day2], (await Usage.ListAsync(tenant, Day2, Day2)).Select(t => t.Day));
        Assert.Empty(await Usage.ListAsync(tenant, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)));
        Assert.Empty(await Usage.ListAsync(tenant, Day3, Day1));
    }

    [Fact]
    public async Task Another_tenants_usage_and_rolled_back_usage_never_count()
    {
        var mine = NewTenant();
        var theirs = NewTenant();
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(mine, "alpha-model", Day2, 10, 1)));
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(theirs, "alpha-model", Day2, 1000, 100)));
        await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(theirs, "beta-model", Day2, 1000, 100)));
        await using (var transaction = await Store.BeginAsync())
        {
            await Usage.RecordAsync(transaction, new UsageRecord(mine, "alpha-model", Day2, 500, 50));
            await Usage.RecordAsync(transaction, new UsageRecord(mine, "beta-model", Day2, 500, 50));
        }

        Assert.Equal([new UsageTotal(Day2, "alpha-model", 1, 10, 1)], await Usage.ListAsync(mine, Day1, Day3));
        Assert.Equal(
            [new UsageTotal(Day2, "alpha-model", 1, 1000, 100), new UsageTotal(Day2, "beta-model", 1, 1000, 100)],
            await Usage.ListAsync(theirs, Day1, Day3));
        Assert.Empty(await Usage.ListAsync(NewTenant(), Day1, Day3));
    }

    [Fact]
    public async Task Concurrent_records_of_one_day_and_model_all_count()
    {
        var tenant = NewTenant();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await InTransactionAsync(tx => Usage.RecordAsync(tx, new UsageRecord(tenant, "alpha-model", Day2, 3, 2)));
            }
        })));

        Assert.Equal([new UsageTotal(Day2, "alpha-model", 80, 240, 160)], await Usage.ListAsync(tenant, Day2, Day2));
    }
}
