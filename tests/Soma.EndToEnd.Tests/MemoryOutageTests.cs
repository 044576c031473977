using Soma.Testing;

namespace Soma.EndToEnd.Tests;

/// <summary>
/// Memory that is never lost, with real processes: the memory service is down while 500 messages are answered (each
/// with one tool call) and the gateway/worker process is killed twice; it comes back, the gateway is killed once more
/// during the drain, and afterwards the memory service holds every user message, tool output and answer exactly once,
/// with every link. The scenario itself is <see cref="MemoryOutageScenario"/> (the benchmark runs it with more messages).
/// </summary>
public sealed class MemoryOutageTests(ITestOutputHelper output)
{
    private const int Messages = 500;

    [Fact]
    public async Task Five_hundred_turns_during_a_memory_outage_with_three_kill_9s_all_reach_the_memory_service_once_with_their_links()
    {
        var report = await MemoryOutageScenario.RunAsync(new MemoryOutageOptions
        {
            Messages = Messages,
            Sessions = 20,
            KillsDuringOutage = 2,
            KillsDuringDrain = 1,
            Log = output.WriteLine,
            LogDirectory = Environment.GetEnvironmentVariable("SOMA_OUTAGE_LOGS"),
        });
        output.WriteLine($"duration {report.Duration.TotalSeconds:0.0} s; drain {report.TimeToDrain.TotalSeconds:0.0} s; max pending {report.MaxPending} (cap {report.Cap}); "
            + $"retried {report.Retried}, replayed {report.Replayed}; kills: {string.Join("; ", report.Kills)}; modes {string.Join(" → ", report.ModeChanges)}; "
            + $"delivery errors: {string.Join("; ", report.DeliveryErrors.Select(e => $"{e.Value}× {e.Key}"))}");

        foreach (var failed in report.FailedStarts)
        {
            output.WriteLine($"a restarted gateway exited before listening and was started again: {failed}");
        }

        // Every message went in, none was refused (the cap is the outage's depth and one turn per sender) and every turn succeeded.
        Assert.Equal(Messages, report.Accepted);
        Assert.True(report.Refused == 0, $"{report.Refused} message POSTs were refused with 503 ({report.RefusedBelowCap} of them below the cap of {report.Cap}).");
        Assert.Equal(Messages, report.RunStates.GetValueOrDefault("succeeded"));
        Assert.Equal(3, report.Kills.Count);

        // The outbox grew to hold the whole outage, never past its cap, and drained.
        Assert.True(report.MaxPending <= report.Cap, $"pending memory writes reached {report.MaxPending}, above the cap of {report.Cap}.");
        Assert.Equal(4L * Messages, report.OutboxAtOutageEnd);
        Assert.Equal(4L * Messages, report.PendingAtOutageEnd);
        Assert.Equal(0, report.FinalPending);
        Assert.Equal(0, report.GatewayOutbox.GetValueOrDefault("pending"));
        Assert.Equal(0, report.GatewayOutbox.GetValueOrDefault("dead_lettered"));
        Assert.Equal(4 * Messages, report.GatewayOutbox.GetValueOrDefault("sent"));

        // Exactly N of each memory, nothing twice, nothing extra, every link between existing memories.
        Assert.True(report.MissingKeys.Count == 0, $"{report.MissingKeys.Count} memories never reached the memory service:\n{string.Join("\n", report.MissingKeys.Take(50))}");
        Assert.True(report.DuplicateKeys.Count == 0, $"duplicate memory keys:\n{string.Join("\n", report.DuplicateKeys.Take(50))}");
        Assert.True(report.UnexpectedKeys.Count == 0, $"{report.UnexpectedKeys.Count} memories no turn should have written:\n{string.Join("\n", report.UnexpectedKeys.Take(50))}");
        Assert.True(report.MissingLinks.Count == 0, $"{report.MissingLinks.Count} links are missing:\n{string.Join("\n", report.MissingLinks.Take(50))}");
        Assert.True(report.DanglingLinks.Count == 0, $"{report.DanglingLinks.Count} links point at no memory:\n{string.Join("\n", report.DanglingLinks.Take(50))}");
        Assert.True(report.Refusals.Count == 0, $"{report.Refusals.Count} memory writes were refused by the memory service (sent out of order?):\n{string.Join("\n", report.Refusals.Take(20))}");
        Assert.Equal(Messages, report.Memories.GetValueOrDefault("user"));
        Assert.Equal(Messages, report.Memories.GetValueOrDefault("assistant"));
        Assert.Equal(Messages, report.Memories.GetValueOrDefault("tool"));
        Assert.Equal(0, report.Memories.GetValueOrDefault("other"));
        Assert.Equal(Messages, report.Links.GetValueOrDefault("answers"));
        Assert.Equal(Messages, report.Links.GetValueOrDefault("answered_by"));
        Assert.Equal(Messages, report.Links.GetValueOrDefault("used_by"));

        // The metrics showed the outage and the recovery: normal → down → … → normal.
        var modes = report.ModeChanges.ToList();
        Assert.True(modes.IndexOf(0) >= 0 && modes.IndexOf(2) > modes.IndexOf(0), $"soma_memory_mode did not go from 0 to 2: {string.Join(" → ", modes)}");
        Assert.Equal(0, report.FinalMode);
    }
}
