using System.Text.Json;
using System.Threading.Channels;
using NATS.Client.Core;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

internal sealed partial class NatsSessionStream
{
    /// <inheritdoc />
    public async ValueTask<SessionSubscription> SubscribeAsync(SessionKey session, CancellationToken cancellationToken = default)
    {
        // Live subject first, snapshot request second, on the same connection: the server registers the subscription
        // before it routes the request, so a delta a responder leaves out of its snapshot is published after this
        // subscription exists, and a process without a responder yet subscribes it before its first delta.
        var live = await _connection.SubscribeCoreAsync<byte[]>(LiveSubjects.Live(session), cancellationToken: cancellationToken).ConfigureAwait(false);
        LiveSnapshot snapshot;
        try
        {
            snapshot = await RequestSnapshotAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await live.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var channel = Channel.CreateBounded<SessionStreamItem>(new BoundedChannelOptions(InProcessSessionStream.SubscriberCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var subscriber = new LiveSubscriber(live, snapshot, channel, _logger);
        Interlocked.Increment(ref _subscribers);
        subscriber.Start();
        return new SessionSubscription(
            session,
            snapshot.Answers,
            channel,
            _ =>
            {
                Interlocked.Decrement(ref _subscribers);
                subscriber.Stop();
            },
            snapshot.ToolOutputs);
    }

    private async Task<LiveSnapshot> RequestSnapshotAsync(SessionKey session, CancellationToken cancellationToken)
    {
        var subject = LiveSubjects.Snapshot(session);
        NatsMsg<byte[]> reply;
        try
        {
            reply = await _connection.RequestAsync<byte[], byte[]>(subject, [], replyOpts: new NatsSubOpts { Timeout = SnapshotTimeout, ThrowIfNoResponders = true }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (NatsNoRespondersException)
        {
            // No process has an answer in progress: the server says so at once.
            return LiveSnapshot.Empty;
        }
        catch (NatsNoReplyException)
        {
            // A responder that does not answer in time (busy, or leaving): its later deltas still arrive live.
            LiveLog.SnapshotTimedOut(_logger, subject, SnapshotTimeout);
            return LiveSnapshot.Empty;
        }

        if (reply.HasNoResponders || reply.Data is not { Length: > 0 } data)
        {
            return LiveSnapshot.Empty;
        }

        try
        {
            return JsonSerializer.Deserialize(data, LiveJson.Default.LiveSnapshot) ?? LiveSnapshot.Empty;
        }
        catch (JsonException ex)
        {
            LiveLog.MalformedSnapshot(_logger, subject, ex.Message);
            return LiveSnapshot.Empty;
        }
    }
}
