using System.Buffers;
using System.Text.Json;

namespace Soma.Core.Storage;

/// <summary>
/// One outbox row holding several events of one commit (decision 0017): a run commit's events, written as one row
/// instead of one row each (a row and three index entries each). The row's id and dedupe key are its last event's id
/// and its time is its last event's, so "rows after event X" finds every row holding an event after X and rows keep
/// their partition's order. Readers see the events: <see cref="IOutbox.ListAsync"/> and
/// <see cref="IOutbox.ListPartitionAsync"/> unpack bundles, and the event relay publishes each event.
/// </summary>
public static class OutboxBundles
{
    /// <summary>The reserved topic of a bundle row (not a schema).</summary>
    public const string Topic = "soma.outbox.bundle";

    /// <summary>
    /// <paramref name="messages"/> as one bundle row when there are several and they can share one: the same tenant,
    /// partition and partition-log listing, each deduplicated by its own id (an event's row). Otherwise unchanged.
    /// </summary>
    public static IReadOnlyList<OutboxMessage> Pack(IReadOnlyList<OutboxMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Count < 2 || !Packable(messages) ? messages : [Bundle(messages, null)];
    }

    /// <summary>
    /// As <see cref="Pack(IReadOnlyList{OutboxMessage})"/>, for events whose JSON is given as UTF-8
    /// (<paramref name="payloads"/>, one per message; the messages' own payloads are not read): a bundle is written from
    /// those bytes, and only messages that stay rows of their own get their payload as text.
    /// </summary>
    public static IReadOnlyList<OutboxMessage> Pack(IReadOnlyList<OutboxMessage> messages, IReadOnlyList<byte[]> payloads)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(payloads);
        if (payloads.Count != messages.Count)
        {
            throw new ArgumentException($"{payloads.Count} payloads given for {messages.Count} messages.", nameof(payloads));
        }

        if (messages.Count >= 2 && Packable(messages))
        {
            return [Bundle(messages, payloads)];
        }

        var rows = new OutboxMessage[messages.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = messages[i] with { Payload = System.Text.Encoding.UTF8.GetString(payloads[i]) };
        }

        return rows;
    }

    private static OutboxMessage Bundle(IReadOnlyList<OutboxMessage> messages, IReadOnlyList<byte[]>? payloads)
    {
        // The thread's buffer, kept between bundles instead of one the size of the commit's events allocated for each;
        // one that grew past LargestKept is not kept.
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                writer.WriteStartObject();
                writer.WriteString("id", message.Id);
                writer.WriteString("topic", message.Topic);
                writer.WriteString("created_at", message.CreatedAt);
                writer.WritePropertyName("payload");
                if (payloads is null)
                {
                    writer.WriteRawValue(message.Payload, skipInputValidation: true);
                }
                else
                {
                    writer.WriteRawValue(payloads[i], skipInputValidation: true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        var last = messages[^1];
        var payload = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > LargestKept)
        {
            _buffer = null;
        }

        return last with
        {
            Topic = Topic,
            // Packable checked it is the last event's id as text.
            DedupeKey = last.DedupeKey,
            Payload = payload,
        };
    }

    private const int LargestKept = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>Whether <paramref name="message"/> is a bundle row.</summary>
    public static bool IsBundle(OutboxMessage message) => message?.Topic == Topic;

    /// <summary>The events of a bundle row, in order (a row that is not a bundle is its own only event).</summary>
    /// <exception cref="JsonException">The bundle's payload is not a bundle.</exception>
    public static IReadOnlyList<OutboxMessage> Unpack(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!IsBundle(message))
        {
            return [message];
        }

        using var document = JsonDocument.Parse(message.Payload);
        var events = new List<OutboxMessage>(document.RootElement.GetArrayLength());
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var id = item.GetProperty("id").GetGuid();
            events.Add(message with
            {
                Id = id,
                Topic = item.GetProperty("topic").GetString() ?? throw new JsonException("A bundled event has no topic."),
                DedupeKey = id.ToString(),
                CreatedAt = item.GetProperty("created_at").GetDateTimeOffset(),
                Payload = item.GetProperty("payload").GetRawText(),
            });
        }

        return events;
    }

    /// <summary>
    /// Answers <paramref name="query"/> as <see cref="IOutbox.ListAsync"/> does, with <paramref name="rows"/> reading the
    /// store's rows of a query: bundles are read too, and only their events of the topics (and times) asked for answered.
    /// </summary>
    public static Task<IReadOnlyList<OutboxEntry>> ListAsync(OutboxQuery query, Func<OutboxQuery, Task<IReadOnlyList<OutboxEntry>>> rows)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(rows);
        var topics = query.Topics.ToHashSet(StringComparer.Ordinal);
        var withBundles = query with { Topics = [.. topics, Topic] };
        return ListAsync(
            (after, limit) => rows(withBundles with { After = after, Limit = limit }), query.After, query.Limit,
            message => topics.Contains(message.Topic) && (query.CreatedFrom is not { } from || message.CreatedAt >= from));
    }

    /// <summary>
    /// Reads events in id order as <see cref="IOutbox.ListAsync"/> and <see cref="IOutbox.ListPartitionAsync"/> answer:
    /// <paramref name="rows"/> reads up to a number of rows after a row id (bundles included), and the bundles among them
    /// are unpacked; only events after <paramref name="after"/> that <paramref name="keep"/> accepts are answered, at
    /// most <paramref name="limit"/>. Reads further pages of rows until the limit is reached or the rows run out.
    /// </summary>
    public static async Task<IReadOnlyList<OutboxEntry>> ListAsync(
        Func<Guid?, int, Task<IReadOnlyList<OutboxEntry>>> rows, Guid? after, int limit, Func<OutboxMessage, bool>? keep = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        limit = Math.Clamp(limit, 1, PageRequest.MaxLimit);
        var answer = new List<OutboxEntry>();
        var cursor = after;
        while (true)
        {
            var page = await rows(cursor, limit).ConfigureAwait(false);
            foreach (var row in page)
            {
                foreach (var message in Unpack(row.Message))
                {
                    if ((after is null || !IsBundle(row.Message) || After(message.Id, after.Value)) && (keep is null || keep(message)))
                    {
                        answer.Add(row with { Message = message });
                        if (answer.Count == limit)
                        {
                            return answer;
                        }
                    }
                }
            }

            if (page.Count < limit)
            {
                return answer;
            }

            cursor = page[^1].Message.Id;
        }
    }

    // In the stores' order of ids: their text (SQLite) or their bytes in RFC 4122 order (PostgreSQL), which agree.
    private static bool After(Guid id, Guid after) => string.CompareOrdinal(id.ToString(), after.ToString()) > 0;

    private static bool Packable(IReadOnlyList<OutboxMessage> messages)
    {
        var first = messages[0];
        foreach (var message in messages)
        {
            if (message.TenantId != first.TenantId || message.PartitionKey != first.PartitionKey || message.InPartitionLog != first.InPartitionLog
                || !DedupedById(message) || IsBundle(message))
            {
                return false;
            }
        }

        return true;
    }

    // Whether the message's dedupe key is its id's text (an event's row), compared without making that text.
    private static bool DedupedById(OutboxMessage message)
    {
        Span<char> id = stackalloc char[36];
        return message.Id.TryFormat(id, out var written) && message.DedupeKey.AsSpan().SequenceEqual(id[..written]);
    }
}
