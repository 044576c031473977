using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace Soma.Core.Streaming;

/// <summary>
/// <see cref="ISessionStream"/> inside one process (the embedded default: gateway and worker share it). Each
/// session has a lock; answers and tool outputs keep their text so far, so a late subscriber starts from a snapshot.
/// </summary>
public sealed class InProcessSessionStream : ISessionStream
{
    /// <summary>Live items a slow subscriber may have queued before it is dropped (it reconnects and loses nothing durable).</summary>
    public const int SubscriberCapacity = 4096;

    private readonly ConcurrentDictionary<SessionKey, Topic> _topics = new();
    private int _subscribers;

    /// <inheritdoc />
    public int SubscriberCount => Volatile.Read(ref _subscribers);

    /// <inheritdoc />
    public void StartAnswer(SessionKey session, Guid runId, Guid messageId, string baseText)
    {
        ArgumentNullException.ThrowIfNull(baseText);
        while (true)
        {
            var topic = _topics.GetOrAdd(session, static _ => new Topic());
            lock (topic)
            {
                if (topic.Removed)
                {
                    // Trimmed by the last subscriber's leave between GetOrAdd and the lock: an answer put there would be
                    // lost to every later subscriber and append. Take the fresh one.
                    continue;
                }

                var answer = new Answer(runId, new StringBuilder(baseText));
                topic.Answers[messageId] = answer;
                topic.Publish(new SessionStreamItem(SessionStreamItemKind.Delta, runId, messageId, 0, baseText));
                return;
            }
        }
    }

    /// <inheritdoc />
    public void AppendAnswer(SessionKey session, Guid messageId, string text)
    {
        if (string.IsNullOrEmpty(text) || !_topics.TryGetValue(session, out var topic))
        {
            return;
        }

        lock (topic)
        {
            if (topic.Answers.TryGetValue(messageId, out var answer))
            {
                answer.Text.Append(text);
                answer.Index++;
                topic.Publish(new SessionStreamItem(SessionStreamItemKind.Delta, answer.RunId, messageId, answer.Index, text));
            }
        }
    }

    /// <inheritdoc />
    public void EndAnswer(SessionKey session, Guid messageId)
    {
        if (_topics.TryGetValue(session, out var topic))
        {
            lock (topic)
            {
                topic.Answers.Remove(messageId);
                Trim(session, topic);
            }
        }
    }

    /// <inheritdoc />
    public void StartToolOutput(SessionKey session, Guid runId, string toolCallId, string tool)
    {
        ArgumentNullException.ThrowIfNull(toolCallId);
        ArgumentNullException.ThrowIfNull(tool);
        while (true)
        {
            var topic = _topics.GetOrAdd(session, static _ => new Topic());
            lock (topic)
            {
                if (topic.Removed)
                {
                    continue;
                }

                topic.ToolOutputs[(runId, toolCallId)] = new ToolOutputText(tool);
                topic.Publish(new SessionStreamItem(SessionStreamItemKind.ToolOutputDelta, runId, Guid.Empty, 0, string.Empty, toolCallId, tool));
                return;
            }
        }
    }

    /// <inheritdoc />
    public void AppendToolOutput(SessionKey session, Guid runId, string toolCallId, string chunk)
    {
        if (string.IsNullOrEmpty(chunk) || !_topics.TryGetValue(session, out var topic))
        {
            return;
        }

        lock (topic)
        {
            if (topic.ToolOutputs.TryGetValue((runId, toolCallId), out var output))
            {
                output.Text.Append(chunk);
                output.Index++;
                topic.Publish(new SessionStreamItem(SessionStreamItemKind.ToolOutputDelta, runId, Guid.Empty, output.Index, chunk, toolCallId, output.Tool));
            }
        }
    }

    /// <inheritdoc />
    public void EndToolOutputs(SessionKey session, Guid runId)
    {
        if (_topics.TryGetValue(session, out var topic))
        {
            lock (topic)
            {
                foreach (var key in topic.ToolOutputs.Keys.Where(k => k.RunId == runId).ToList())
                {
                    topic.ToolOutputs.Remove(key);
                }

                Trim(session, topic);
            }
        }
    }

    /// <inheritdoc />
    public void NotifyDurable(SessionKey session)
    {
        if (_topics.TryGetValue(session, out var topic))
        {
            lock (topic)
            {
                topic.Publish(new SessionStreamItem(SessionStreamItemKind.Durable, Guid.Empty, Guid.Empty, 0, string.Empty));
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<SessionSubscription> SubscribeAsync(SessionKey session, CancellationToken cancellationToken = default) => ValueTask.FromResult(Subscribe(session));

    /// <summary>Answers in progress for <paramref name="session"/> in this process, with their text and last index.</summary>
    public IReadOnlyList<AnswerSnapshot> Snapshot(SessionKey session)
    {
        if (!_topics.TryGetValue(session, out var topic))
        {
            return [];
        }

        lock (topic)
        {
            return [.. topic.Answers.Select(a => new AnswerSnapshot(a.Value.RunId, a.Key, a.Value.Text.ToString(), a.Value.Index))];
        }
    }

    private SessionSubscription Subscribe(SessionKey session)
    {
        var channel = Channel.CreateBounded<SessionStreamItem>(new BoundedChannelOptions(SubscriberCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        while (true)
        {
            var topic = _topics.GetOrAdd(session, static _ => new Topic());
            lock (topic)
            {
                if (topic.Removed)
                {
                    // Trimmed between GetOrAdd and the lock: take the fresh one.
                    continue;
                }

                var answers = topic.Answers.Select(a => new AnswerSnapshot(a.Value.RunId, a.Key, a.Value.Text.ToString(), a.Value.Index)).ToList();
                var subscription = new SessionSubscription(session, answers, channel, Leave, topic.SnapshotToolOutputs());
                topic.Subscribers.Add(subscription);
                Interlocked.Increment(ref _subscribers);
                return subscription;
            }
        }
    }

    private void Leave(SessionSubscription subscription)
    {
        if (_topics.TryGetValue(subscription.Session, out var topic))
        {
            lock (topic)
            {
                if (topic.Subscribers.Remove(subscription))
                {
                    Interlocked.Decrement(ref _subscribers);
                }

                Trim(subscription.Session, topic);
            }
        }

        subscription.Channel.Writer.TryComplete();
    }

    // Called under the topic's lock: a topic with no answer and no subscriber goes away.
    private void Trim(SessionKey session, Topic topic)
    {
        if (topic.Answers.Count == 0 && topic.ToolOutputs.Count == 0 && topic.Subscribers.Count == 0)
        {
            topic.Removed = true;
            _topics.TryRemove(new KeyValuePair<SessionKey, Topic>(session, topic));
        }
    }

    private sealed class Answer(Guid runId, StringBuilder text)
    {
        public Guid RunId { get; } = runId;

        public StringBuilder Text { get; } = text;

        public int Index { get; set; }
    }

    private sealed class ToolOutputText(string tool)
    {
        public string Tool { get; } = tool;

        public StringBuilder Text { get; } = new();

        public int Index { get; set; }
    }

    private sealed class Topic
    {
        public Dictionary<Guid, Answer> Answers { get; } = [];

        public Dictionary<(Guid RunId, string ToolCallId), ToolOutputText> ToolOutputs { get; } = [];

        public List<SessionSubscription> Subscribers { get; } = [];

        public bool Removed { get; set; }

        // Called under the topic's lock.
        public List<ToolOutputSnapshot> SnapshotToolOutputs() =>
            [.. ToolOutputs.Select(t => new ToolOutputSnapshot(t.Key.RunId, t.Key.ToolCallId, t.Value.Tool, t.Value.Text.ToString(), t.Value.Index))];

        public void Publish(SessionStreamItem item)
        {
            foreach (var subscriber in Subscribers)
            {
                if (!subscriber.Channel.Writer.TryWrite(item))
                {
                    // Too far behind: tell it (the last slot is kept for this) and stop feeding it.
                    subscriber.Channel.Writer.TryComplete(new ChannelClosedException("The subscriber fell behind."));
                }
            }
        }
    }
}
