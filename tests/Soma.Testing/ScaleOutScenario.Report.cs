using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;
using Soma.Contracts.Schemas;
using Soma.Core.Messaging;
using Soma.Core.Storage;

namespace Soma.Testing;

public sealed partial class ScaleOutScenario
{
    /// <summary>The JetStream stream the NATS bus keeps events in (<c>Soma:Bus:Nats:Stream</c>'s default).</summary>
    private const string EventStream = "SOMA_EVENTS";

    private async Task<ScaleOutReport> ReportAsync(KillOutcome kill, TimeSpan turnsDuration, IReadOnlyDictionary<string, string> health, CancellationToken cancellationToken)
    {
        var streamProblems = new List<string>();
        int finals = 0, deltas = 0, withDeltas = 0, restarted = 0, late = 0;
        foreach (var watch in _watches)
        {
            var sent = _sent.Values.Where(m => m.Session == watch.Session).OrderBy(m => m.Index).ToList();
            var outcome = CheckStream(watch, sent, streamProblems);
            finals += outcome.Finals;
            deltas += outcome.Deltas;
            withDeltas += outcome.WithDeltas;
            restarted += outcome.Restarted;
            late += outcome.Late;
        }

        var stream = await ReadStreamAsync(cancellationToken);
        var outbox = await ReadOutboxAsync(cancellationToken);
        var sentRows = outbox.Where(r => r.Status == 1).Select(r => r.Id).ToHashSet();
        var streamIds = stream.Messages.Where(m => m.Id is not null).Select(m => m.Id!.Value).ToHashSet();
        var topicOf = outbox.ToDictionary(r => r.Id, r => r.Topic);
        return new ScaleOutReport
        {
            Messages = _options.Messages,
            Accepted = _sent.Count,
            Retried = _retried,
            Duration = _clock.Elapsed,
            TurnsDuration = turnsDuration,
            Kill = kill.Description,
            KilledWhileStreaming = kill.WhileStreaming,
            InterruptedAnswers = kill.Interrupted,
            RunStates = await RunStatesAsync(cancellationToken),
            StreamProblems = streamProblems,
            FinalsSeen = finals,
            DeltasSeen = deltas,
            AnswersWithDeltas = withDeltas,
            AnswersRestarted = restarted,
            LateDeltas = late,
            Reconnects = _watches.Sum(w => w.Reconnects),
            StreamMessages = stream.Messages.Count,
            StreamBySchema = stream.Messages.GroupBy(m => EventSubjects.SchemaOf(m.Subject) ?? m.Subject)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            DuplicateIds = [.. stream.Messages.Where(m => m.Id is not null).GroupBy(m => m.Id!.Value).Where(g => g.Count() > 1)
                .Select(g => $"{g.Key} ×{g.Count()} (seq {string.Join(", ", g.Select(m => m.Sequence))})")],
            MessagesWithoutId = [.. stream.Messages.Where(m => m.Id is null).Select(m => $"seq {m.Sequence} {m.Subject}")],
            InvalidMessages = stream.Problems,
            OutboxEvents = outbox.GroupBy(r => r.Status switch { 0 => "pending", 1 => "sent", 2 => "dead_lettered", var s => s.ToString(CultureInfo.InvariantCulture) })
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            SentNotInStream = [.. sentRows.Where(id => !streamIds.Contains(id)).Select(id => $"{id} {topicOf[id]}")],
            InStreamNotSent = [.. streamIds.Where(id => !sentRows.Contains(id)).Select(id => $"{id} {topicOf.GetValueOrDefault(id, "(no outbox row)")}")],
            TurnProblems = TurnProblems(stream.Messages),
            FinalPending = await PendingAsync(cancellationToken),
            Health = health,
            PolicyVersions = new Dictionary<string, string>(_policyVersions, StringComparer.Ordinal),
            FailedStarts = [.. _failedStarts],
            LogDirectory = _logDirectory,
        };
    }

    // One stream against what its session sent: each answer's final exactly once, in the order sent, with the text the
    // model wrote; the text rebuilt from its deltas (index 0 sets, others append) equal to the final.
    private static StreamOutcome CheckStream(SessionWatch watch, List<Sent> sent, List<string> problems)
    {
        var frames = watch.Frames;
        var where = $"session {watch.Session} on {watch.Gateway}";
        var replies = sent.ToDictionary(m => m.ReplyId);
        var finalFrames = frames.Where(f => f.Type == "conversation.assistant_final").ToList();
        var order = finalFrames.Select(f => f.MessageId).ToList();
        var expectedOrder = sent.Select(m => (Guid?)m.ReplyId).ToList();
        if (!order.SequenceEqual(expectedOrder))
        {
            problems.Add($"{where}: finals arrived for [{string.Join(", ", order)}], expected once each in order [{string.Join(", ", expectedOrder)}]");
        }

        problems.AddRange(frames.Where(f => f.Type == "conversation.error").Select(f => $"{where}: conversation.error {f.Text}"));
        problems.AddRange(watch.Malformed.Select(m => $"{where}: malformed frame {m}"));
        int deltas = 0, withDeltas = 0, restarted = 0, late = 0;
        foreach (var reply in sent)
        {
            var final = finalFrames.FirstOrDefault(f => f.MessageId == reply.ReplyId);
            if (final is not null && final.Text != reply.Expected)
            {
                problems.Add($"{where}: the final of message {reply.Index} (reply {reply.ReplyId}) is '{Shorten(final.Text)}', expected '{Shorten(reply.Expected)}'");
            }

            var finalAt = final is null ? frames.Count : IndexOf(frames, final);
            var own = frames.Select((f, i) => (Frame: f, Position: i))
                .Where(p => p.Frame.Type == "conversation.assistant_delta" && p.Frame.MessageId == reply.ReplyId).ToList();
            deltas += own.Count;
            late += own.Count(p => p.Position > finalAt);
            var before = own.Where(p => p.Position < finalAt).Select(p => p.Frame).ToList();
            if (before.Count == 0)
            {
                continue;
            }

            withDeltas++;
            restarted += before.Skip(1).Any(f => f.Index == 0) ? 1 : 0;
            var text = new StringBuilder();
            foreach (var delta in before)
            {
                if (delta.Index == 0)
                {
                    text.Clear();
                }

                text.Append(delta.Text);
            }

            if (final is not null && text.ToString() != final.Text)
            {
                problems.Add($"{where}: message {reply.Index} (reply {reply.ReplyId}) built from {before.Count} deltas "
                    + $"(indexes {string.Join(",", before.Select(f => f.Index))}) is '{Shorten(text.ToString())}', the final is '{Shorten(final.Text)}'");
            }
        }

        var strangers = finalFrames.Where(f => f.MessageId is not { } id || !replies.ContainsKey(id)).ToList();
        problems.AddRange(strangers.Select(f => $"{where}: a final for an answer this session did not ask for: {f.MessageId}"));
        return new StreamOutcome(finalFrames.Count, deltas, withDeltas, restarted, late);
    }

    private static int IndexOf(IReadOnlyList<Frame> frames, Frame frame)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            if (ReferenceEquals(frames[i], frame))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Shorten(string? text) => text is null ? "(null)" : text.Length <= 160 ? text : text[..160] + "…";

    // Each user message exactly once and its answer's final exactly once in the stream (conversation.v1).
    private List<string> TurnProblems(IReadOnlyList<StreamMessage> messages)
    {
        var userMessages = new Dictionary<Guid, int>();
        var finals = new Dictionary<Guid, int>();
        foreach (var message in messages.Where(m => m.Type is "conversation.user_message" or "conversation.assistant_final" && m.MessageId is not null))
        {
            var counts = message.Type == "conversation.user_message" ? userMessages : finals;
            counts[message.MessageId!.Value] = counts.GetValueOrDefault(message.MessageId.Value) + 1;
        }

        var problems = new List<string>();
        foreach (var sent in _sent.Values.OrderBy(m => m.SessionIndex).ThenBy(m => m.Index))
        {
            var user = userMessages.GetValueOrDefault(sent.MessageId);
            var final = finals.GetValueOrDefault(sent.ReplyId);
            if (user != 1 || final != 1)
            {
                problems.Add($"session {sent.SessionIndex} message {sent.Index} (message {sent.MessageId}, reply {sent.ReplyId}, run {sent.RunId}): "
                    + $"{user} user_message and {final} assistant_final events in the stream");
            }
        }

        return problems;
    }

    // Every message of the stream, by an ordered consumer from the first sequence to the last the stream held when asked.
    private async Task<StreamRead> ReadStreamAsync(CancellationToken cancellationToken)
    {
        var messages = new List<StreamMessage>();
        var problems = new List<string>();
        var validator = new EventValidator(SchemaRegistry.Default);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = _nats!.Url, Name = "scale-out-test" });
        var js = new NatsJSContext(connection);
        INatsJSStream stream;
        try
        {
            stream = await js.GetStreamAsync(EventStream, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException ex)
        {
            problems.Add($"the JetStream stream {EventStream} could not be read: {ex.Error.Code} {ex.Error.Description}");
            return new StreamRead(messages, problems);
        }

        var state = stream.Info.State;
        Log($"stream {EventStream}: {state.Messages} messages, sequences {state.FirstSeq}–{state.LastSeq}");
        if (state.Messages == 0)
        {
            return new StreamRead(messages, problems);
        }

        var consumer = await js.CreateOrderedConsumerAsync(EventStream, cancellationToken: cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Patience);
        await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: timeout.Token))
        {
            var sequence = message.Metadata?.Sequence.Stream ?? 0;
            Guid? id = message.Headers is { } headers && headers.TryGetValue("Nats-Msg-Id", out var values) && Guid.TryParse(values.ToString(), out var parsed) ? parsed : null;
            messages.Add(Inspect(sequence, message.Subject, id, message.Data ?? [], validator, problems));
            if (sequence >= state.LastSeq)
            {
                break;
            }
        }

        return new StreamRead(messages, problems);
    }

    // Parses and validates one stream message; its subject and id must agree with the event it carries.
    private static StreamMessage Inspect(ulong sequence, string subject, Guid? id, byte[] data, EventValidator validator, List<string> problems)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            var root = document.RootElement;
            var validation = validator.Validate(root);
            if (!validation.IsValid)
            {
                problems.Add($"seq {sequence} {subject}: {string.Join("; ", validation.Errors.Take(5).Select(e => $"{(e.Pointer.Length == 0 ? "(root)" : e.Pointer)}: {e.Message}"))}");
            }

            var schema = root.TryGetProperty("schema", out var s) ? s.GetString() : null;
            var tenant = root.TryGetProperty("tenant_id", out var t) ? t.GetString() : null;
            if (schema is null || tenant is null || subject != EventSubjects.For(tenant, schema))
            {
                problems.Add($"seq {sequence}: subject {subject} is not soma.{{tenant}}.{{schema}} of the event (tenant {tenant}, schema {schema})");
            }

            var eventId = root.TryGetProperty("id", out var i) && i.TryGetGuid(out var g) ? g : (Guid?)null;
            if (id is not null && eventId != id)
            {
                problems.Add($"seq {sequence} {subject}: Nats-Msg-Id {id} is not the event's id {eventId}");
            }

            var type = root.TryGetProperty("type", out var ty) ? ty.GetString() : null;
            Guid? messageId = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("message_id", out var m) && m.TryGetGuid(out var mg) ? mg : null;
            return new StreamMessage(sequence, subject, id, type, messageId);
        }
        catch (JsonException ex)
        {
            problems.Add($"seq {sequence} {subject}: not JSON: {ex.Message}");
            return new StreamMessage(sequence, subject, id, null, null);
        }
    }

    private async Task<List<OutboxRow>> ReadOutboxAsync(CancellationToken cancellationToken)
    {
        var rows = new List<OutboxRow>();
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync(cancellationToken);
        // A run commit's events share one row (decision 0017): each of its events counts, with the row's status.
        await using var command = new NpgsqlCommand("SELECT id, topic, status, payload FROM outbox WHERE topic = ANY(@topics)", db);
        command.Parameters.AddWithValue("topics", EventPublishSink.EventTopics(SchemaRegistry.Default).Append(OutboxBundles.Topic).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, topic, status) = (reader.GetGuid(0), reader.GetString(1), reader.GetInt16(2));
            var events = topic == OutboxBundles.Topic
                ? OutboxBundles.Unpack(new OutboxMessage { Id = id, TenantId = "", Topic = topic, DedupeKey = "", Payload = reader.GetString(3), CreatedAt = default })
                    .Select(e => (e.Id, e.Topic))
                : [(id, topic)];
            rows.AddRange(events.Select(e => new OutboxRow(e.Id, e.Topic, status)));
        }

        return rows;
    }

    private sealed record StreamOutcome(int Finals, int Deltas, int WithDeltas, int Restarted, int Late);

    private sealed record StreamMessage(ulong Sequence, string Subject, Guid? Id, string? Type, Guid? MessageId);

    private sealed record StreamRead(List<StreamMessage> Messages, List<string> Problems);

    private sealed record OutboxRow(Guid Id, string Topic, short Status);
}
