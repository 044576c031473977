using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Gateway.Sessions;
using Soma.Gateway.Tests.Conversations;
using Soma.Memory.WriteThrough;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Tracing;

/// <summary>
/// Messages accepted in one shared commit (group commit) each keep their own request's trace: the commit's work runs on
/// whichever caller leads the batch, so nothing a message writes may take its trace from there.
/// </summary>
public sealed class SharedCommitTraceTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Messages_accepted_in_one_commit_carry_their_own_traces_in_their_events_and_memory_writes()
    {
        var services = fixture.Server.Services;
        var intake = services.GetRequiredService<MessageIntake>();
        var committer = services.GetRequiredService<GroupCommitter>();
        var store = services.GetRequiredService<IStore>();
        var tenant = ServerFixture.NewTenant();
        using var client = fixture.Server.For(tenant);
        var session = await CreateSessionAsync(client);

        // Every lane of the committer is held inside a transaction, so the messages queue and go into the next one
        // together, led by a holder: a caller with no trace of its own.
        var held = await HeldLanes.HoldAsync(committer, store, Patience);

        var traces = new[] { ActivityTraceId.CreateRandom(), ActivityTraceId.CreateRandom(), ActivityTraceId.CreateRandom() };
        var accepting = traces.Select((trace, i) =>
        {
            using var request = new Activity("POST /v1/sessions/{id}/messages").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
            return intake.AcceptAsync(new IncomingMessage(tenant, session, $"message {i}", null, null, "tester", ["user"], request.Id, $"request-{i}"), 8, CancellationToken.None);
        }).ToList();
        Assert.All(accepting, task => Assert.False(task.IsCompleted));
        await held.ReleaseAsync();
        var accepted = (await Task.WhenAll(accepting).WaitAsync(Patience)).Select(Assert.IsType<IntakeResult.Accepted>).ToList();

        // Each message's conversation.user_message event, in the session's log, names its own request's trace.
        var events = await services.GetRequiredService<ISessionStore>().ListEventsAsync(tenant, session, 0, 100);
        for (var i = 0; i < traces.Length; i++)
        {
            var messageId = accepted[i].MessageId.ToString();
            var userMessage = Assert.Single(events, e => e.Type == "conversation.user_message" && MessageIdOf(e.Payload) == messageId);
            using var envelope = JsonDocument.Parse(userMessage.Payload);
            Assert.Equal(traces[i].ToHexString(), envelope.RootElement.GetProperty("trace_id").GetString());
        }

        // And each memory write queued for the memory service carries it too.
        var writes = await services.GetRequiredService<IOutbox>().ListPartitionAsync(tenant, MemoryKeys.Partition(session), null, 100);
        for (var i = 0; i < traces.Length; i++)
        {
            var key = MemoryKeys.Message(tenant, session, accepted[i].MessageId, "user");
            var write = Assert.Single(writes, w => w.Message.Payload.Contains(key, StringComparison.Ordinal));
            using var request = JsonDocument.Parse(write.Message.Payload);
            Assert.Equal(traces[i].ToHexString(), request.RootElement.GetProperty("trace_id").GetString());
        }
    }

    private static string? MessageIdOf(string payload)
    {
        using var envelope = JsonDocument.Parse(payload);
        return envelope.RootElement.GetProperty("data").GetProperty("message_id").GetString();
    }
}
