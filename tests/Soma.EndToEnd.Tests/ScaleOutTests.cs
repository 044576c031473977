using Soma.Testing;
using Xunit.Sdk;

namespace Soma.EndToEnd.Tests;

/// <summary>
/// Scale-out with real processes: two gateways and two workers on one PostgreSQL and one NATS JetStream, 40 messages
/// over 10 sessions sent round-robin to the gateways while each session's events are read from the other gateway, one
/// worker <c>kill -9</c>ed mid-answer and restarted. Every turn ends with one final, each stream shows every answer once,
/// in order, its deltas adding up to it; the stream holds each event once and exactly the outbox's sent events, all
/// valid; nothing stays pending and every process is healthy. The scenario itself is <see cref="ScaleOutScenario"/>.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output)
{
    private const int Sessions = 10;
    private const int PerSession = 4;
    private const int Messages = Sessions * PerSession;

    [Fact]
    public async Task Forty_turns_over_two_gateways_and_two_workers_survive_a_worker_kill_9_with_every_event_in_JetStream_once()
    {
        var keepLogs = Environment.GetEnvironmentVariable("SOMA_SCALEOUT_LOGS");
        var report = await ScaleOutScenario.RunAsync(new ScaleOutOptions
        {
            Sessions = Sessions,
            MessagesPerSession = PerSession,
            Log = output.WriteLine,
            LogDirectory = keepLogs,
        });
        output.WriteLine($"duration {report.Duration.TotalSeconds:0.0} s (turns {report.TurnsDuration.TotalSeconds:0.0} s); {report.Kill}; "
            + $"interrupted answers {report.InterruptedAnswers.Count}; retried POSTs {report.Retried}; runs {Show(report.RunStates)}");
        output.WriteLine($"streams: {report.FinalsSeen} finals, {report.DeltasSeen} deltas over {report.AnswersWithDeltas} answers "
            + $"({report.AnswersRestarted} restarted at index 0, {report.LateDeltas} after their final), {report.Reconnects} reconnects");
        output.WriteLine($"JetStream: {report.StreamMessages} messages ({Show(report.StreamBySchema)}); outbox events {Show(report.OutboxEvents)}; pending {report.FinalPending}");
        output.WriteLine($"health: {string.Join("; ", report.Health.Select(h => $"{h.Key} {h.Value}"))}");
        foreach (var failed in report.FailedStarts)
        {
            output.WriteLine($"a restarted worker exited before listening and was started again: {failed}");
        }

        try
        {
            // Every message went in and every turn ended once, after a kill that hit a streaming answer.
            Assert.Equal(Messages, report.Accepted);
            Assert.True(report.KilledWhileStreaming, $"the worker was not killed while an answer was streaming: {report.Kill}");
            Assert.NotEmpty(report.InterruptedAnswers);
            Assert.Equal(Messages, report.RunStates.GetValueOrDefault("succeeded"));
            Assert.True(report.TurnProblems.Count == 0, $"turns without exactly one user message and one final in the stream:\n{string.Join("\n", report.TurnProblems.Take(20))}");

            // Each session stream, read from the other gateway: every final once, in order; deltas add up to it.
            Assert.True(report.StreamProblems.Count == 0, $"{report.StreamProblems.Count} problems on the session streams:\n{string.Join("\n", report.StreamProblems.Take(20))}");
            Assert.Equal(Messages, report.FinalsSeen);
            Assert.True(report.AnswersWithDeltas > 0, "no answer delta crossed from a worker to the other gateway's stream.");
            Assert.Equal(0, report.LateDeltas);

            // JetStream holds each event once, exactly the outbox's sent events, each valid against its schema.
            Assert.True(report.StreamMessages > 0, $"the JetStream stream is empty: {string.Join("; ", report.InvalidMessages)}");
            Assert.True(report.DuplicateIds.Count == 0, $"event ids more than once in the stream:\n{string.Join("\n", report.DuplicateIds.Take(20))}");
            Assert.True(report.MessagesWithoutId.Count == 0, $"stream messages without a Nats-Msg-Id:\n{string.Join("\n", report.MessagesWithoutId.Take(20))}");
            Assert.True(report.InvalidMessages.Count == 0, $"{report.InvalidMessages.Count} stream messages are not valid events:\n{string.Join("\n", report.InvalidMessages.Take(20))}");
            Assert.True(report.SentNotInStream.Count == 0, $"{report.SentNotInStream.Count} sent outbox events are not in the stream:\n{string.Join("\n", report.SentNotInStream.Take(20))}");
            Assert.True(report.InStreamNotSent.Count == 0, $"{report.InStreamNotSent.Count} stream messages are not sent outbox events:\n{string.Join("\n", report.InStreamNotSent.Take(20))}");
            Assert.Equal(0, report.OutboxEvents.GetValueOrDefault("dead_lettered"));
            Assert.Equal(report.StreamMessages, report.OutboxEvents.GetValueOrDefault("sent"));

            // Nothing left behind; every process healthy.
            Assert.Equal(0, report.FinalPending);
            var unhealthy = report.Health.Where(h => !h.Value.Equals("normal", StringComparison.Ordinal)).ToList();
            Assert.True(report.Health.Count == 5 && unhealthy.Count == 0, $"/v1/health is not 'normal' everywhere:\n{string.Join("\n", report.Health.Select(h => $"{h.Key}: {h.Value}"))}");

            // Every process read the same policy files, so every process decides with the same version.
            Assert.Equal(5, report.PolicyVersions.Count);
            Assert.Single(report.PolicyVersions.Values.Distinct(StringComparer.Ordinal));
            Assert.StartsWith("sha256:", report.PolicyVersions.Values.First(), StringComparison.Ordinal);
        }
        catch (XunitException)
        {
            output.WriteLine($"process logs: {report.LogDirectory}");
            throw;
        }

        if (keepLogs is null)
        {
            Directory.Delete(report.LogDirectory, recursive: true);
        }
    }

    private static string Show(IReadOnlyDictionary<string, int> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}
