using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteToolCallLogCompliance(SqliteEngine engine) : ToolCallLogCompliance<SqliteEngine>(engine);

public sealed class PostgresToolCallLogCompliance(PostgresEngine engine) : ToolCallLogCompliance<PostgresEngine>(engine);

/// <summary>
/// Tool analytics: one row per finished call, counted per tool over a half-open window, with exact (nearest-rank)
/// percentiles over the calls that ran and a series of equal buckets, the same on every engine.
/// </summary>
public abstract class ToolCallLogCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    private static readonly DateTimeOffset From = Start;
    private static readonly DateTimeOffset To = Start.AddHours(24);

    private IToolCallLog Log => Ports.ToolCalls;

    [Fact]
    public async Task Calls_are_counted_per_tool_with_exact_percentiles_over_the_calls_that_ran_busiest_tool_first()
    {
        var tenant = NewTenant();

        // 100 runs of 1..100 ms, in a shuffled order, 3 of them failed (one a timeout), and 5 denials that never ran.
        var durations = Enumerable.Range(1, 100).OrderBy(i => (i * 37) % 101).ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var (ms, i) in durations.Select((ms, i) => (ms, i)))
            {
                var (outcome, code) = ms switch
                {
                    7 => (ToolCallOutcome.Failed, ToolCallRecord.TimeoutCode),
                    8 or 9 => (ToolCallOutcome.Failed, "tool.error"),
                    _ => (ToolCallOutcome.Succeeded, (string?)null),
                };
                await Log.RecordAsync(tx, Call(tenant, "shell.run", outcome, code, ms, bytes: 10, at: From.AddMinutes(i)));
            }

            for (var i = 0; i < 5; i++)
            {
                await Log.RecordAsync(tx, Call(tenant, "shell.run", ToolCallOutcome.Denied, "tool.denied", 0, bytes: 0, at: From.AddMinutes(i)));
            }
        });

        // One call: every percentile is that call. Only denials: no percentile at all.
        await InTransactionAsync(tx => Log.RecordAsync(tx, Call(tenant, "time.now", ToolCallOutcome.Succeeded, null, 0.25, bytes: 31, at: From)));
        await InTransactionAsync(async tx =>
        {
            await Log.RecordAsync(tx, Call(tenant, "http.fetch", ToolCallOutcome.Denied, "tool.denied", 0, 0, From.AddHours(1)));
            await Log.RecordAsync(tx, Call(tenant, "http.fetch", ToolCallOutcome.Denied, "tool.denied", 0, 0, From.AddHours(2)));
        });

        var stats = await Log.StatsAsync(tenant, new ToolStatsQuery(From, To, 24));
        Assert.Equal(["shell.run", "http.fetch", "time.now"], stats.Select(s => s.Tool));

        var shell = stats[0];
        Assert.Equal((105L, 97L, 3L, 5L, 1L, 1000L), (shell.Calls, shell.Succeeded, shell.Failed, shell.Denied, shell.Timeouts, shell.BytesOut));
        Assert.Equal((50.0, 95.0, 99.0), (shell.P50Ms!.Value, shell.P95Ms!.Value, shell.P99Ms!.Value));

        var fetch = stats[1];
        Assert.Equal((2L, 0L, 0L, 2L, 0L), (fetch.Calls, fetch.Succeeded, fetch.Failed, fetch.Denied, fetch.Timeouts));
        Assert.Null(fetch.P50Ms);
        Assert.Null(fetch.P99Ms);

        var time = stats[2];
        Assert.Equal((1L, 1L, 31L), (time.Calls, time.Succeeded, time.BytesOut));
        Assert.Equal((0.25, 0.25, 0.25), (time.P50Ms!.Value, time.P95Ms!.Value, time.P99Ms!.Value));

        // Only one tool.
        var filtered = await Log.StatsAsync(tenant, new ToolStatsQuery(From, To, 24, "time.now"));
        Assert.Equal(["time.now"], filtered.Select(s => s.Tool));
        Assert.Empty(await Log.StatsAsync(tenant, new ToolStatsQuery(From, To, 24, "files.read")));
    }

    [Fact]
    public async Task The_window_is_half_open_and_each_call_lands_in_its_bucket_with_empty_buckets_kept()
    {
        var tenant = NewTenant();
        var hour = TimeSpan.FromHours(1);
        await InTransactionAsync(async tx =>
        {
            // Before the window, at its start, on the boundary between buckets 2 and 3, just before the end, at the end.
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Succeeded, null, 1, 1, From.AddTicks(-1)));
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Succeeded, null, 1, 1, From));
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Failed, "tool.error", 1, 1, From + (3 * hour) - TimeSpan.FromMilliseconds(1)));
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Denied, "tool.denied", 0, 0, From + (3 * hour)));
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Succeeded, null, 1, 1, From + (3 * hour)));
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Succeeded, null, 1, 1, To.AddMilliseconds(-1)));
            await Log.RecordAsync(tx, Call(tenant, "math.evaluate", ToolCallOutcome.Succeeded, null, 1, 1, To));
        });

        var stats = Assert.Single(await Log.StatsAsync(tenant, new ToolStatsQuery(From, To, 24)));
        Assert.Equal(5, stats.Calls);
        Assert.Equal(24, stats.Series.Count);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => From + (i * hour)), stats.Series.Select(b => b.Start));
        var expected = new long[24];
        expected[0] = 1;
        expected[2] = 1;
        expected[3] = 2;
        expected[23] = 1;
        Assert.Equal(expected, stats.Series.Select(b => b.Calls));
        Assert.Equal(1, stats.Series[2].Failed);
        Assert.Equal((0L, 1L), (stats.Series[3].Failed, stats.Series[3].Denied));
        Assert.Equal(stats.Calls, stats.Series.Sum(b => b.Calls));

        // Finer buckets of the same window: 96 of 15 minutes.
        var fine = Assert.Single(await Log.StatsAsync(tenant, new ToolStatsQuery(From, To, 96)));
        Assert.Equal([0, 11, 12, 95], fine.Series.Select((b, i) => (b, i)).Where(x => x.b.Calls > 0).Select(x => x.i));
    }

    [Fact]
    public async Task Another_tenants_calls_and_rolled_back_calls_never_count()
    {
        var mine = NewTenant();
        var theirs = NewTenant();
        await InTransactionAsync(tx => Log.RecordAsync(tx, Call(mine, "time.now", ToolCallOutcome.Succeeded, null, 2, 5, From.AddMinutes(1))));
        await InTransactionAsync(tx => Log.RecordAsync(tx, Call(theirs, "time.now", ToolCallOutcome.Failed, "tool.error", 9, 5, From.AddMinutes(1))));
        await InTransactionAsync(tx => Log.RecordAsync(tx, Call(theirs, "shell.run", ToolCallOutcome.Succeeded, null, 9, 5, From.AddMinutes(1))));
        await using (var transaction = await Store.BeginAsync())
        {
            await Log.RecordAsync(transaction, Call(mine, "time.now", ToolCallOutcome.Failed, "tool.error", 100, 5, From.AddMinutes(2)));
            await Log.RecordAsync(transaction, Call(mine, "shell.run", ToolCallOutcome.Succeeded, null, 100, 5, From.AddMinutes(2)));
        }

        var stats = Assert.Single(await Log.StatsAsync(mine, new ToolStatsQuery(From, To, 24)));
        Assert.Equal(("time.now", 1L, 1L, 0L, 2.0), (stats.Tool, stats.Calls, stats.Succeeded, stats.Failed, stats.P99Ms!.Value));
        Assert.Equal(["shell.run", "time.now"], (await Log.StatsAsync(theirs, new ToolStatsQuery(From, To, 24))).Select(s => s.Tool));
        Assert.Empty(await Log.StatsAsync(NewTenant(), new ToolStatsQuery(From, To, 24)));
    }

    [Fact]
    public async Task A_window_that_does_not_cut_into_whole_milliseconds_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Log.StatsAsync(NewTenant(), new ToolStatsQuery(From, From.AddMilliseconds(10), 3)));
        await Assert.ThrowsAsync<ArgumentException>(() => Log.StatsAsync(NewTenant(), new ToolStatsQuery(From, From, 1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.StatsAsync(NewTenant(), new ToolStatsQuery(From, To, 0)));
    }

    private static ToolCallRecord Call(string tenant, string tool, ToolCallOutcome outcome, string? code, double ms, long bytes, DateTimeOffset at) =>
        new(Guid.CreateVersion7(), tenant, tool, outcome, code, ms, bytes, outcome == ToolCallOutcome.Denied ? "none" : "bubblewrap", at);
}
