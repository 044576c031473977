using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using Soma.Core.Signals;

namespace Soma.Messaging.Nats;

/// <summary>
/// <see cref="IWakeBus"/> on core NATS: a wake-up is an empty message on <c>soma._wake.{topic}</c>, never stored. The
/// <c>_wake</c> token cannot be a tenant id (those start with a letter or digit), so no tenant's <c>soma.{tenant}.&gt;</c>
/// permission covers it and it carries nothing of a tenant. A wake-up that cannot be sent is dropped: a lost one costs a
/// poll interval.
/// </summary>
internal sealed partial class NatsWakeBus(INatsConnection connection, ILogger<NatsWakeBus>? logger = null) : IWakeBus
{
    /// <summary>The subject prefix of wake-ups.</summary>
    public const string Prefix = "soma._wake.";

    private readonly ILogger _logger = logger ?? NullLogger<NatsWakeBus>.Instance;

    /// <inheritdoc />
    public void Wake(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        _ = PublishAsync(Prefix + topic);
    }

    /// <inheritdoc />
    public IDisposable Subscribe(string topic, Action onWake)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(onWake);
        var stop = new CancellationTokenSource();
        _ = ListenAsync(Prefix + topic, onWake, stop.Token);
        return new Subscription(stop);
    }

    private async Task PublishAsync(string subject)
    {
        try
        {
            await connection.PublishAsync(subject).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            LogWakeLost(_logger, subject, ex.Message);
        }
    }

    // Listens until disposed; a subscription lost with the connection is made again (NATS.Net resubscribes on reconnect,
    // this covers a first connect that failed).
    private async Task ListenAsync(string subject, Action onWake, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in connection.SubscribeAsync<byte[]>(subject, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    onWake();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or ObjectDisposedException)
            {
                LogListenFailed(_logger, subject, ex.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.NatsWakeBusWakeLost, Level = LogLevel.Debug, Message = "A wake-up on {Subject} was not sent ({Reason}); its loops find the work at their next poll")]
    private static partial void LogWakeLost(ILogger logger, string subject, string reason);

    [LoggerMessage(EventId = LogEvents.NatsWakeBusListenFailed, Level = LogLevel.Warning, Message = "Listening for wake-ups on {Subject} failed ({Reason}); trying again, polls go on meanwhile")]
    private static partial void LogListenFailed(ILogger logger, string subject, string reason);

    private sealed class Subscription(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            stop.Dispose();
        }
    }
}
