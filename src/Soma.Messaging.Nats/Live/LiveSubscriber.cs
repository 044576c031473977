using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

/// <summary>
/// One gateway-side subscription: pumps the live subject into the subscriber's bounded channel, after the snapshot.
/// Deltas (of answers and tool outputs) the snapshot holds already (its origin, sequence number up to the snapshot's)
/// are dropped, so there is no duplicate; a delta whose index skips one closes the channel (the subscriber resubscribes and gets a new snapshot)
/// rather than showing text with a hole in it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The stop source has no timer; Stop() may race the pump's end, so it is left to the collector rather than disposed under the pump.")]
internal sealed class LiveSubscriber
{
    private readonly INatsSub<byte[]> _live;
    private readonly LiveSnapshot _snapshot;
    private readonly Channel<SessionStreamItem> _channel;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();

    // The last index passed on (or held by the snapshot) of each answer and tool output this subscriber has seen start.
    private readonly Dictionary<Guid, int> _last = [];
    private readonly Dictionary<(Guid RunId, string ToolCallId), int> _lastTool = [];

    public LiveSubscriber(INatsSub<byte[]> live, LiveSnapshot snapshot, Channel<SessionStreamItem> channel, ILogger logger)
    {
        _live = live;
        _snapshot = snapshot;
        _channel = channel;
        _logger = logger;
        foreach (var answer in snapshot.Answers)
        {
            _last[answer.MessageId] = answer.Index;
        }

        foreach (var output in snapshot.ToolOutputs ?? [])
        {
            _lastTool[(output.RunId, output.ToolCallId)] = output.Index;
        }
    }


    public void Start() => _ = Task.Run(PumpAsync, CancellationToken.None);

    /// <summary>Stops the pump (it unsubscribes) and ends the channel.</summary>
    public void Stop()
    {
        _stop.Cancel();
        _channel.Writer.TryComplete();
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var message in _live.Msgs.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (!Forward(message))
                {
                    return;
                }
            }

            // The NATS subscription ended (its connection was disposed): the subscriber reads the end of the stream.
            _channel.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The subscriber left.
        }
        catch (Exception ex)
        {
            // Never let the pump die silently: the subscriber sees a closed channel and resubscribes.
            LiveLog.PumpFailed(_logger, _live.Subject, ex);
            _channel.Writer.TryComplete(new ChannelClosedException("The live subscription failed.", ex));
        }
        finally
        {
            try
            {
                await _live.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or ObjectDisposedException)
            {
                // The connection is gone, and the subscription with it.
            }
        }
    }

    // False when the channel was closed and the pump should stop.
    private bool Forward(NatsMsg<byte[]> message)
    {
        if (Parse(message) is not { } item)
        {
            return true;
        }

        if (item.Kind == LiveMessage.DurableKind)
        {
            return Write(new SessionStreamItem(SessionStreamItemKind.Durable, Guid.Empty, Guid.Empty, 0, string.Empty));
        }

        if (item.Origin == _snapshot.Origin && item.Seq <= _snapshot.Seq)
        {
            // Published before the snapshot was taken: its text is in the snapshot.
            return true;
        }

        if (item.Kind == LiveMessage.ToolDeltaKind)
        {
            var key = (item.RunId, item.ToolCallId!);
            switch (Place(_lastTool, key, item.Index, out var lastTool))
            {
                case Order.Unseen:
                    LiveLog.UnseenToolStart(_logger, message.Subject, key.Item2);
                    return true;
                case Order.Stale:
                    return true;
                case Order.Gap:
                    LiveLog.MissedToolDeltas(_logger, message.Subject, key.Item2, item.Index, lastTool);
                    _channel.Writer.TryComplete(new ChannelClosedException("The subscriber missed live deltas."));
                    return false;
                default:
                    return Write(new SessionStreamItem(SessionStreamItemKind.ToolOutputDelta, item.RunId, Guid.Empty, item.Index, item.Text, item.ToolCallId, item.Tool));
            }
        }

        switch (Place(_last, item.MessageId, item.Index, out var last))
        {
            case Order.Unseen:
                // Its start went by before this subscription (another process's answer, or a reconnect): appending to
                // nothing would show a fragment. Its final text comes with the durable log.
                LiveLog.UnseenStart(_logger, message.Subject, item.MessageId);
                return true;
            case Order.Stale:
                return true;
            case Order.Gap:
                // Deltas were lost (a reconnect, or the client library dropped messages): close rather than show a hole.
                LiveLog.MissedDeltas(_logger, message.Subject, item.MessageId, item.Index, last);
                _channel.Writer.TryComplete(new ChannelClosedException("The subscriber missed live deltas."));
                return false;
        }

        return Write(new SessionStreamItem(SessionStreamItemKind.Delta, item.RunId, item.MessageId, item.Index, item.Text));
    }

    // Index 0 (re)starts a stream; n follows n - 1 of a stream this subscriber has seen start. The last index is updated for Next.
    private static Order Place<TKey>(Dictionary<TKey, int> lastIndexes, TKey key, int index, out int last)
        where TKey : notnull
    {
        if (index == 0)
        {
            lastIndexes[key] = last = 0;
            return Order.Next;
        }

        if (!lastIndexes.TryGetValue(key, out last))
        {
            return Order.Unseen;
        }

        if (index <= last)
        {
            return Order.Stale;
        }

        if (index > last + 1)
        {
            return Order.Gap;
        }

        lastIndexes[key] = index;
        return Order.Next;
    }

    private bool Write(SessionStreamItem item)
    {
        if (_channel.Writer.TryWrite(item))
        {
            return true;
        }

        // Too far behind (or already left): tell it and stop feeding it; it reconnects and loses nothing durable.
        LiveLog.FellBehind(_logger, _live.Subject);
        _channel.Writer.TryComplete(new ChannelClosedException("The subscriber fell behind."));
        return false;
    }

    private LiveMessage? Parse(NatsMsg<byte[]> message)
    {
        if (message.Data is not { Length: > 0 } data)
        {
            LiveLog.MalformedMessage(_logger, message.Subject, "empty payload");
            return null;
        }

        LiveMessage? item;
        try
        {
            item = JsonSerializer.Deserialize(data, LiveJson.Default.LiveMessage);
        }
        catch (JsonException ex)
        {
            LiveLog.MalformedMessage(_logger, message.Subject, ex.Message);
            return null;
        }

        var valid = item switch
        {
            { Kind: LiveMessage.DurableKind } => true,
            { Kind: LiveMessage.DeltaKind, Index: >= 0 } => item.MessageId != Guid.Empty,
            { Kind: LiveMessage.ToolDeltaKind, Index: >= 0, ToolCallId.Length: > 0, Tool: not null } => true,
            _ => false,
        };
        if (!valid)
        {
            LiveLog.MalformedMessage(_logger, message.Subject, "unknown kind, negative index, or no message or tool call id");
            return null;
        }

        return item;
    }

    // What to do with a delta, from its index and the last one passed on for its stream.
    private enum Order
    {
        Next,
        Stale,
        Unseen,
        Gap,
    }
}
