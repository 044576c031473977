using Soma.Core.Storage;

namespace Soma.Core.Tests.Storage;

public sealed class OutboxBundlesTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_commit_s_events_become_one_row_named_by_its_last_event_and_come_back_exactly()
    {
        // Payloads as the event serializer may write them: spacing, escapes and characters outside ASCII kept as written.
        string[] payloads = ["{\"a\": 1, \"text\": \"w\\u00f6rld\"}", "{\"b\":[1,2,{\"c\":null}]}", "{\"text\":\"✓ ünïcode \\\"quoted\\\"\"}"];
        var events = payloads.Select((p, i) => Event("acme", "run-1", p, i, i == 1 ? "agent.runs.v1" : "agent.steps.v1")).ToList();

        var row = Assert.Single(OutboxBundles.Pack(events));
        Assert.True(OutboxBundles.IsBundle(row));
        Assert.Equal(OutboxBundles.Topic, row.Topic);
        Assert.Equal(events[^1].Id, row.Id);
        Assert.Equal(events[^1].Id.ToString(), row.DedupeKey);
        Assert.Equal(events[^1].CreatedAt, row.CreatedAt);
        Assert.Equal(("acme", "run-1", true), (row.TenantId, row.PartitionKey, row.InPartitionLog));

        Assert.Equal(events, OutboxBundles.Unpack(row));
    }

    [Fact]
    public void Events_that_cannot_share_a_row_are_left_as_they_are()
    {
        var alone = Event("acme", "run-1", "{}", 0);
        Assert.Same(alone, Assert.Single(OutboxBundles.Pack([alone])));
        Assert.Equal([alone], OutboxBundles.Unpack(alone));

        var next = Event("acme", "run-1", "{}", 1);
        IReadOnlyList<OutboxMessage>[] apart =
        [
            [alone, next with { TenantId = "other" }],
            [alone, next with { PartitionKey = "run-2" }],
            [alone, next with { InPartitionLog = false }],
            [alone, next with { DedupeKey = "memory-key" }],
        ];
        Assert.All(apart, messages => Assert.Same(messages, OutboxBundles.Pack(messages)));
        var bundle = Assert.Single(OutboxBundles.Pack([alone, next]));
        Assert.Equal(2, OutboxBundles.Pack([bundle, Event("acme", "run-1", "{}", 2)]).Count);
    }

    [Fact]
    public void Events_given_as_UTF8_make_the_same_row_and_a_row_of_its_own_gets_its_text()
    {
        string[] payloads = ["{\"a\": 1, \"text\": \"w\\u00f6rld\"}", "{\"text\":\"✓ ünïcode \\\"quoted\\\"\"}"];
        var events = payloads.Select((p, i) => Event("acme", "run-1", p, i)).ToList();
        var utf8 = payloads.Select(System.Text.Encoding.UTF8.GetBytes).ToList();

        // The messages' own payloads are not read: the bytes are.
        var row = Assert.Single(OutboxBundles.Pack([.. events.Select(e => e with { Payload = "" })], utf8));
        Assert.Equal(Assert.Single(OutboxBundles.Pack(events)), row);
        Assert.Equal(events, OutboxBundles.Unpack(row));

        // Rows that stay apart, alone or unable to share a row, carry their payloads as text.
        Assert.Equal(events[0], Assert.Single(OutboxBundles.Pack([events[0] with { Payload = "" }], [utf8[0]])));
        Assert.Equal([events[0], events[1] with { TenantId = "other" }], OutboxBundles.Pack([events[0] with { Payload = "" }, events[1] with { TenantId = "other", Payload = "" }], utf8));

        var refused = Assert.Throws<ArgumentException>(() => OutboxBundles.Pack(events, utf8[..1]));
        Assert.Contains("1 payloads given for 2 messages", refused.Message, StringComparison.Ordinal);
    }

    private static OutboxMessage Event(string tenant, string partition, string payload, int n, string topic = "agent.steps.v1")
    {
        var id = Guid.CreateVersion7(Start.AddMilliseconds(n));
        return new OutboxMessage
        {
            Id = id,
            TenantId = tenant,
            Topic = topic,
            DedupeKey = id.ToString(),
            PartitionKey = partition,
            Payload = payload,
            CreatedAt = Start.AddMilliseconds(n).AddTicks(1234),
        };
    }
}
