using System.Text.Json;
using NATS.Client.Core;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

internal sealed partial class NatsSessionStream
{
    // The one loop that talks to NATS for the worker side: operations reach the server in the order they were queued.
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var responders = new Dictionary<SessionKey, Responder>();
        try
        {
            await foreach (var operation in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RunAsync(operation, responders, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // A live operation that fails is lost (it was live only); the loop goes on with the next one.
                    LiveLog.OperationFailed(_logger, operation.Kind, operation.Session.SessionId, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed before the queue drained.
        }
        finally
        {
            foreach (var responder in responders.Values)
            {
                await responder.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(LiveOperation operation, Dictionary<SessionKey, Responder> responders, CancellationToken cancellationToken)
    {
        switch (operation.Kind)
        {
            case LiveOperationKind.Respond when !responders.ContainsKey(operation.Session):
                var subscription = await _connection.SubscribeCoreAsync<byte[]>(LiveSubjects.Snapshot(operation.Session), cancellationToken: cancellationToken).ConfigureAwait(false);
                responders[operation.Session] = new Responder(subscription, Task.Run(() => RespondAsync(operation.Session, subscription), CancellationToken.None));
                break;

            case LiveOperationKind.StopResponding when responders.Remove(operation.Session, out var responder):
                await responder.DisposeAsync().ConfigureAwait(false);
                break;

            case LiveOperationKind.Publish when operation.Message is { } message:
                if (message.Kind is LiveMessage.DeltaKind or LiveMessage.ToolDeltaKind && Interlocked.Decrement(ref _pendingDeltas) == 0 && Interlocked.Exchange(ref _dropping, 0) == 1)
                {
                    LiveLog.BacklogDrained(_logger);
                }

                var payload = JsonSerializer.SerializeToUtf8Bytes(message, LiveJson.Default.LiveMessage);
                await _connection.PublishAsync(LiveSubjects.Live(operation.Session), payload, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    // Answers snapshot requests until the subscription is disposed. Replies need no ordering with the deltas: the
    // sequence number in the snapshot tells the subscriber which deltas it already holds.
    private async Task RespondAsync(SessionKey session, INatsSub<byte[]> subscription)
    {
        await foreach (var request in subscription.Msgs.ReadAllAsync().ConfigureAwait(false))
        {
            if (request.ReplyTo is null)
            {
                continue;
            }

            try
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(Snapshot(session), LiveJson.Default.LiveSnapshot);
                await request.ReplyAsync(payload).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or ObjectDisposedException or OperationCanceledException)
            {
                // The requester times out and starts without answers in progress; it still gets every later delta.
                LiveLog.SnapshotReplyFailed(_logger, session.SessionId, ex);
            }
        }
    }

    private sealed record Responder(INatsSub<byte[]> Subscription, Task Replies) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await Subscription.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or ObjectDisposedException)
            {
                // The connection is gone, and the subscription with it; its messages may never complete, so do not wait.
                return;
            }

            await Replies.ConfigureAwait(false);
        }
    }
}
