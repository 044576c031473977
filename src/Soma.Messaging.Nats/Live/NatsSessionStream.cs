using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

/// <summary>
/// <see cref="ISessionStream"/> across processes on core NATS (nothing stored). The worker side keeps its answers and
/// tool outputs in progress in memory and queues NATS operations on one ordered queue drained by one loop over one connection: the
/// snapshot responder of a session is subscribed before its first delta is published, and unsubscribed after its last
/// answer or tool output ended. The gateway side subscribes to the live subject, then asks for a snapshot on the same connection, so
/// the server has its subscription before the request: whatever the responder leaves out of the snapshot reaches the
/// subscription live. See <c>docs/messaging/live-deltas.md</c>.
/// </summary>
internal sealed partial class NatsSessionStream : ISessionStream, IAsyncDisposable
{
    /// <summary>Deltas that may wait for NATS before new ones are dropped (an outage must not grow memory without bound).</summary>
    public const int MaxPendingDeltas = 65_536;

    /// <summary>
    /// How long a subscriber waits for a snapshot reply before it starts without answers in progress. Waiting costs only
    /// when a responder exists and is slow (no responder is answered at once), and the live deltas wait in the
    /// subscription meanwhile; giving up loses the live text of the answers in progress (they come with the durable
    /// log), which happened at 1 s on a loaded machine.
    /// </summary>
    public static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(3);

    // How long disposing waits for queued operations to reach NATS.
    private static readonly TimeSpan DrainOnDisposeTimeout = TimeSpan.FromSeconds(5);

    private readonly INatsConnection _connection;
    private readonly ILogger<NatsSessionStream> _logger;
    private readonly ConcurrentDictionary<SessionKey, LiveSession> _sessions = new();
    private readonly Channel<LiveOperation> _queue = Channel.CreateUnbounded<LiveOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _drain;

    // Identifies this process's live messages: a snapshot's sequence number means something only to its origin.
    private readonly Guid _origin = new(RandomNumberGenerator.GetBytes(16));
    private long _sequence;
    private int _pendingDeltas;
    private int _dropping;
    private int _subscribers;
    private int _disposed;

    public NatsSessionStream(INatsConnection connection, ILogger<NatsSessionStream> logger)
    {
        _connection = connection;
        _logger = logger;

        // The loop belongs to the stream (it has work only once an answer starts, and ends with the stream), so it is
        // not a hosted service: a process that only subscribes never waits on it.
        _drain = Task.Run(() => DrainAsync(_stopping.Token));
    }

    /// <inheritdoc />
    public int SubscriberCount => Volatile.Read(ref _subscribers);

    /// <inheritdoc />
    public void StartAnswer(SessionKey session, Guid runId, Guid messageId, string baseText)
    {
        ArgumentNullException.ThrowIfNull(baseText);
        while (true)
        {
            var live = _sessions.GetOrAdd(session, static _ => new LiveSession());
            lock (live)
            {
                if (live.Removed)
                {
                    // Its last answer ended between GetOrAdd and the lock: take the fresh one.
                    continue;
                }

                if (live.IsEmpty)
                {
                    // Before delta 0 on the same queue: a gateway whose request finds no responder sees delta 0 live.
                    _queue.Writer.TryWrite(new LiveOperation(LiveOperationKind.Respond, session));
                }

                live.Answers[messageId] = new LiveAnswer(runId, baseText);
                EnqueueDelta(session, LiveMessage.DeltaKind, runId, messageId, 0, baseText);
                return;
            }
        }
    }

    /// <inheritdoc />
    public void AppendAnswer(SessionKey session, Guid messageId, string text)
    {
        if (string.IsNullOrEmpty(text) || !_sessions.TryGetValue(session, out var live))
        {
            return;
        }

        lock (live)
        {
            if (live.Answers.TryGetValue(messageId, out var answer))
            {
                answer.Text.Append(text);
                answer.Index++;
                EnqueueDelta(session, LiveMessage.DeltaKind, answer.RunId, messageId, answer.Index, text);
            }
        }
    }

    /// <inheritdoc />
    public void EndAnswer(SessionKey session, Guid messageId)
    {
        if (!_sessions.TryGetValue(session, out var live))
        {
            return;
        }

        lock (live)
        {
            if (live.Answers.Remove(messageId))
            {
                RemoveIfEmpty(session, live);
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
            var live = _sessions.GetOrAdd(session, static _ => new LiveSession());
            lock (live)
            {
                if (live.Removed)
                {
                    continue;
                }

                if (live.IsEmpty)
                {
                    _queue.Writer.TryWrite(new LiveOperation(LiveOperationKind.Respond, session));
                }

                live.ToolOutputs[(runId, toolCallId)] = new LiveToolOutput(tool);
                EnqueueDelta(session, LiveMessage.ToolDeltaKind, runId, Guid.Empty, 0, string.Empty, toolCallId, tool);
                return;
            }
        }
    }

    /// <inheritdoc />
    public void AppendToolOutput(SessionKey session, Guid runId, string toolCallId, string chunk)
    {
        if (string.IsNullOrEmpty(chunk) || !_sessions.TryGetValue(session, out var live))
        {
            return;
        }

        lock (live)
        {
            if (live.ToolOutputs.TryGetValue((runId, toolCallId), out var output))
            {
                output.Text.Append(chunk);
                output.Index++;
                EnqueueDelta(session, LiveMessage.ToolDeltaKind, runId, Guid.Empty, output.Index, chunk, toolCallId, output.Tool);
            }
        }
    }

    /// <inheritdoc />
    public void EndToolOutputs(SessionKey session, Guid runId)
    {
        if (!_sessions.TryGetValue(session, out var live))
        {
            return;
        }

        lock (live)
        {
            var ended = live.ToolOutputs.Keys.Where(k => k.RunId == runId).ToList();
            foreach (var key in ended)
            {
                live.ToolOutputs.Remove(key);
            }

            if (ended.Count > 0)
            {
                RemoveIfEmpty(session, live);
            }
        }
    }

    /// <inheritdoc />
    public void NotifyDurable(SessionKey session)
    {
        var message = new LiveMessage(LiveMessage.DurableKind, _origin, Interlocked.Increment(ref _sequence), Guid.Empty, Guid.Empty, 0, string.Empty);
        _queue.Writer.TryWrite(new LiveOperation(LiveOperationKind.Publish, session, message));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _stopping.CancelAfter(DrainOnDisposeTimeout);
        try
        {
            await _drain.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The queue did not drain in time: what is left was live only.
        }

        _stopping.Dispose();
    }

    /// <summary>This process's answers and tool outputs in progress for <paramref name="session"/>, with the last sequence number they include.</summary>
    internal LiveSnapshot Snapshot(SessionKey session)
    {
        // Read before the lookup: a session that starts after it gets only higher numbers, so an empty snapshot never
        // claims a delta it does not hold.
        var sequence = Interlocked.Read(ref _sequence);
        if (_sessions.TryGetValue(session, out var live))
        {
            lock (live)
            {
                if (!live.Removed)
                {
                    // Every delta of this session is numbered and queued under this lock: those up to here are in the text.
                    sequence = Interlocked.Read(ref _sequence);
                    return new LiveSnapshot(
                        _origin,
                        sequence,
                        [.. live.Answers.Select(a => new AnswerSnapshot(a.Value.RunId, a.Key, a.Value.Text.ToString(), a.Value.Index))],
                        [.. live.ToolOutputs.Select(t => new ToolOutputSnapshot(t.Key.RunId, t.Key.ToolCallId, t.Value.Tool, t.Value.Text.ToString(), t.Value.Index))]);
                }
            }
        }

        return new LiveSnapshot(_origin, sequence, [], []);
    }

    // Called under the session's lock: the session's last answer or tool output ended.
    private void RemoveIfEmpty(SessionKey session, LiveSession live)
    {
        if (live.IsEmpty)
        {
            live.Removed = true;
            _sessions.TryRemove(new KeyValuePair<SessionKey, LiveSession>(session, live));
            _queue.Writer.TryWrite(new LiveOperation(LiveOperationKind.StopResponding, session));
        }
    }

    // Called under the session's lock, so the session's deltas are numbered and queued in the same order.
    private void EnqueueDelta(SessionKey session, string kind, Guid runId, Guid messageId, int index, string text, string? toolCallId = null, string? tool = null)
    {
        var pending = Interlocked.Increment(ref _pendingDeltas);
        if (pending > MaxPendingDeltas)
        {
            // NATS is not taking them: drop this one (the local text still has it; a subscriber sees the index gap and
            // resubscribes for a snapshot).
            Interlocked.Decrement(ref _pendingDeltas);
            if (Interlocked.Exchange(ref _dropping, 1) == 0)
            {
                LiveLog.BacklogFull(_logger, pending - 1);
            }

            return;
        }

        var message = new LiveMessage(kind, _origin, Interlocked.Increment(ref _sequence), runId, messageId, index, text, toolCallId, tool);
        _queue.Writer.TryWrite(new LiveOperation(LiveOperationKind.Publish, session, message));
    }

    private sealed class LiveSession
    {
        public Dictionary<Guid, LiveAnswer> Answers { get; } = [];

        public Dictionary<(Guid RunId, string ToolCallId), LiveToolOutput> ToolOutputs { get; } = [];

        public bool IsEmpty => Answers.Count == 0 && ToolOutputs.Count == 0;

        public bool Removed { get; set; }
    }

    private sealed class LiveAnswer(Guid runId, string baseText)
    {
        public Guid RunId { get; } = runId;

        public StringBuilder Text { get; } = new(baseText);

        public int Index { get; set; }
    }

    private sealed class LiveToolOutput(string tool)
    {
        public string Tool { get; } = tool;

        public StringBuilder Text { get; } = new();

        public int Index { get; set; }
    }
}
