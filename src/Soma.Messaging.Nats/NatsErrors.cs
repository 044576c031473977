using NATS.Client.Core;
using NATS.Client.JetStream;
using Soma.Core.Messaging;

namespace Soma.Messaging.Nats;

/// <summary>Turns NATS failures into <see cref="EventBusException"/>s that say whether retrying helps; messages carry no secrets.</summary>
internal static class NatsErrors
{
    /// <summary>
    /// True for the failures <see cref="Translate"/> knows; never when the caller cancelled (its
    /// <see cref="OperationCanceledException"/> goes up as it is).
    /// </summary>
    public static bool IsNatsFailure(Exception exception, CancellationToken callerToken) =>
        !callerToken.IsCancellationRequested && exception is NatsException or TimeoutException or OperationCanceledException;

    /// <summary>
    /// The bus exception for <paramref name="exception"/> during <paramref name="operation"/>. Transient: the server is
    /// unreachable, slow, or has no JetStream leader yet (timeouts, no responders, 503). Not transient: the server refused
    /// the request (a JetStream API error other than 503/408).
    /// </summary>
    public static EventBusException Translate(Exception exception, string operation) =>
        exception switch
        {
            NatsJSApiException { Error.Code: 503 or 408 } api =>
                new EventBusException($"Could not {operation}: JetStream is not available now ({api.Error.Code}).", isTransient: true, api),
            NatsJSApiException api =>
                new EventBusException($"Could not {operation}: JetStream refused it ({api.Error.Code}/{api.Error.ErrCode}: {api.Error.Description}).", isTransient: false, api),
            NatsNoRespondersException or NatsJSPublishNoResponseException =>
                new EventBusException($"Could not {operation}: no JetStream server answered.", isTransient: true, exception),
            NatsNoReplyException or TimeoutException or OperationCanceledException =>
                new EventBusException($"Could not {operation}: the NATS server did not answer in time.", isTransient: true, exception),
            NatsJSException =>
                new EventBusException($"Could not {operation}: {exception.Message}", isTransient: false, exception),
            _ => new EventBusException($"Could not {operation}: the NATS connection failed.", isTransient: true, exception),
        };
}
