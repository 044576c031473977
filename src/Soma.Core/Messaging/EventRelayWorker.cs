using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Outbox;

namespace Soma.Core.Messaging;

/// <summary>
/// The event relay (role <c>relay</c>): the generic relay loop over <see cref="EventPublishSink"/>, delivering every
/// event of the outbox to the bus in partition order. It finds new events by polling (<c>Soma:Relay:PollMilliseconds</c>). While the bus is down, events stay pending (no attempt counted)
/// and the loop backs off with jitter.
/// </summary>
public sealed partial class EventRelayWorker(OutboxRelay relay, IEventBus bus, EventPublishSink sink, TimeProvider time, IOptions<EventRelayOptions> options, ILogger<EventRelayWorker> logger)
    : OutboxRelayWorker(relay, signal: null, time, logger)
{
    private readonly EventRelayOptions _options = options.Value;

    /// <inheritdoc />
    protected override OutboxRoute Route => sink.Route;

    /// <inheritdoc />
    protected override IOutboxSink Sink => sink;

    /// <inheritdoc />
    protected override TimeSpan PollInterval => TimeSpan.FromMilliseconds(_options.PollMilliseconds);

    /// <inheritdoc />
    protected override RelayPace Pace() => new(_options.BatchSize, TimeSpan.Zero);

    /// <inheritdoc />
    protected override async Task StartingAsync(CancellationToken cancellationToken)
    {
        // The stream must exist before the first publish; a bus that is down at start is waited for, events stay pending.
        for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await bus.PrepareAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EventBusException ex)
            {
                LogPrepareFailed(logger, bus.Name, attempt, ex.Message);
                await DelayAsync(Route.Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.EventRelayWorkerPrepareFailed, Level = LogLevel.Warning, Message = "The {Bus} bus is not ready (attempt {Attempt}): {Reason}; events wait in the outbox")]
    private static partial void LogPrepareFailed(ILogger logger, string bus, int attempt, string reason);
}
