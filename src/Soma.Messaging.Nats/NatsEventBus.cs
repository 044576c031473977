using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Soma.Contracts.Identity;
using Soma.Core.Health;
using Soma.Core.Messaging;

namespace Soma.Messaging.Nats;

/// <summary>
/// The bus on NATS JetStream: one stream (<see cref="NatsBusOptions.Stream"/>) takes <c>soma.*.{schema}</c> for every
/// known schema, so live subjects (<c>soma.{tenant}.live.…</c>) stay on core NATS and are never stored. A publish carries
/// the message id as <c>Nats-Msg-Id</c> and the stream refuses a repeat within its duplicate window. Consumers are pull
/// consumers filtered on the subscription's subject: durable ones (shared by name, explicit acks) or ephemeral ones (no
/// acks, removed when their subscriber stops).
/// </summary>
internal sealed partial class NatsEventBus : IEventBus, IHealthReporter
{
    // Messages a subscriber pulls ahead. Small, so the subscribers of a durable consumer share the work and a subscriber
    // that dies holds few messages until their ack wait runs out.
    private const int Prefetch = 32;

    // An ephemeral consumer whose subscriber vanished without deleting it is removed by the server after this.
    private static readonly TimeSpan EphemeralInactiveThreshold = TimeSpan.FromSeconds(30);

    private readonly INatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly NatsBusOptions _options;
    private readonly IReadOnlyList<string> _schemas;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    // Subjects the server refused this connection to publish to (its -ERR 'Permissions Violation …' arrives apart from
    // the publish, which then only times out): a timed-out publish to one of them is a refusal, not an outage.
    private readonly ConcurrentDictionary<string, bool> _refusedSubjects = new(StringComparer.Ordinal);

    /// <summary>Creates the bus on a connection (shared with the rest of the process; not disposed here).</summary>
    public NatsEventBus(INatsConnection connection, IOptions<NatsBusOptions> options, ILogger<NatsEventBus>? logger = null)
        : this(connection, options, EventSubjects.EventSchemas, logger)
    {
    }

    /// <summary>Creates the bus for a given list of schemas (tests).</summary>
    public NatsEventBus(INatsConnection connection, IOptions<NatsBusOptions> options, IReadOnlyList<string> schemas, ILogger<NatsEventBus>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _js = new NatsJSContext(connection);
        _options = options.Value;
        _schemas = schemas;
        _timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _connection.ServerError += OnServerErrorAsync;
    }

    /// <inheritdoc />
    public string Name => "nats";

    /// <summary>The stream's subjects: <c>soma.*.{schema}</c> for every schema.</summary>
    public IReadOnlyList<string> StreamSubjects => [.. _schemas.Select(EventSubjects.AnyTenant)];

    /// <inheritdoc />
    public async Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        var config = new StreamConfig(_options.Stream, [.. StreamSubjects])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.Old,
            MaxAge = TimeSpan.FromHours(_options.MaxAgeHours),
            MaxBytes = _options.MaxBytes,
            DuplicateWindow = TimeSpan.FromSeconds(_options.DuplicateWindowSeconds),
            NumReplicas = _options.Replicas,
        };
        try
        {
            using var timeout = Timeout(cancellationToken);
            try
            {
                await _js.CreateOrUpdateStreamAsync(config, timeout.Token).ConfigureAwait(false);
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == StreamNameInUse)
            {
                // Another process created it between this one's update and create: now an update finds it.
                await _js.CreateOrUpdateStreamAsync(config, timeout.Token).ConfigureAwait(false);
            }

            LogStreamPrepared(_logger, _options.Stream, config.Subjects!.Count, _options.MaxAgeHours, _options.Replicas);
        }
        catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, cancellationToken))
        {
            throw NatsErrors.Translate(ex, $"prepare the stream '{_options.Stream}'");
        }
    }

    /// <inheritdoc />
    public async Task<BusPublishResult> PublishAsync(BusMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);

        // JetStream answers a subject no stream takes with "no responders", which also means "no leader yet": the
        // subject is checked here so that the refusal is told apart from the outage.
        if (!EventSubjects.IsStored(message.Subject, _schemas))
        {
            throw new EventBusException(
                $"The stream '{_options.Stream}' takes no subject '{message.Subject}': events go to soma.{{tenant}}.{{schema}} of a known schema.",
                isTransient: false);
        }

        try
        {
            using var timeout = Timeout(cancellationToken);

            // While the connection is down, NATS.Net keeps a publish in its reconnect buffer and sends it after the
            // reconnect, even though this call has timed out and the caller will try again: past the duplicate window
            // that would store the event twice. So nothing is handed to a connection that is not open: the first use
            // connects (and fails if the server is down), a reconnecting connection is an outage.
            if (_connection.ConnectionState == NatsConnectionState.Closed)
            {
                await _connection.ConnectAsync().AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
            }

            if (_connection.ConnectionState != NatsConnectionState.Open)
            {
                throw new EventBusException($"The NATS connection is {_connection.ConnectionState.ToString().ToLowerInvariant()}: not publishing to '{message.Subject}' until it is open again.", isTransient: true);
            }

            var ack = await _js.PublishAsync(
                message.Subject,
                message.Payload,
                opts: new NatsJSPubOpts { MsgId = message.Id.ToString() },
                cancellationToken: timeout.Token).ConfigureAwait(false);
            if (ack.Error is { } error)
            {
                throw new NatsJSApiException(error);
            }

            // A duplicate is an outcome, not a failure (EnsureSuccess would throw for it): the original's sequence.
            return new BusPublishResult(ack.Seq, ack.Duplicate);
        }
        catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, cancellationToken))
        {
            if (_refusedSubjects.ContainsKey(message.Subject))
            {
                throw new EventBusException($"The NATS server refuses this connection to publish to '{message.Subject}'.", isTransient: false, ex);
            }

            throw NatsErrors.Translate(ex, $"publish to '{message.Subject}'");
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<BusDelivery> SubscribeAsync(BusSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentException.ThrowIfNullOrWhiteSpace(subscription.Subject, nameof(subscription));
        if (subscription.DeliverFrom == BusDeliverFrom.Time && subscription.StartTime is null)
        {
            throw new ArgumentException("DeliverFrom Time needs a StartTime.", nameof(subscription));
        }

        if (subscription.DurableName is not null)
        {
            if (!ConsumerName().IsMatch(subscription.DurableName))
            {
                throw new ArgumentException("A durable name is 1–200 letters, digits, '_' or '-'.", nameof(subscription));
            }

            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(subscription.AckWait, TimeSpan.Zero, nameof(subscription));
        }

        var filters = FiltersFor(subscription.Subject);
        if (filters.Count == 0)
        {
            throw new EventBusException($"The stream '{_options.Stream}' takes no subject that '{subscription.Subject}' matches.", isTransient: false);
        }

        return ReadAsync(subscription, filters, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var details = new Dictionary<string, object?>
        {
            ["provider"] = Name,
            ["url"] = NatsConnectionFactory.Hosts(_options.Url),
            ["stream"] = _options.Stream,
        };
        if (_connection.ConnectionState != NatsConnectionState.Open)
        {
            try
            {
                using var timeout = Timeout(cancellationToken);
                await _connection.ConnectAsync().AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, cancellationToken))
            {
                details["error"] = "not connected";
            }
        }

        details["connection"] = _connection.ConnectionState.ToString();
        return new ComponentHealth("bus", _connection.ConnectionState == NatsConnectionState.Open ? HealthStatus.Normal : HealthStatus.Down, details);
    }

    private const int StreamNameInUse = 10058;

    private static ConsumerConfig ConsumerConfigFor(BusSubscription subscription, string filter)
    {
        var durable = subscription.DurableName is not null;

        // One consumer per filter: a durable's is named after the filter too, the same in every process.
        var config = durable
            ? new ConsumerConfig($"{subscription.DurableName}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(filter)))[..10]}")
            : new ConsumerConfig { Name = $"soma-{InstanceName.New()}" };
        config.FilterSubject = filter;
        config.DeliverPolicy = subscription.DeliverFrom switch
        {
            BusDeliverFrom.New => ConsumerConfigDeliverPolicy.New,
            BusDeliverFrom.Time => ConsumerConfigDeliverPolicy.ByStartTime,
            _ => ConsumerConfigDeliverPolicy.All,
        };
        if (subscription.DeliverFrom == BusDeliverFrom.Time)
        {
            config.OptStartTime = subscription.StartTime!.Value;
        }

        if (durable)
        {
            config.AckPolicy = ConsumerConfigAckPolicy.Explicit;
            config.AckWait = subscription.AckWait;
        }
        else
        {
            config.AckPolicy = ConsumerConfigAckPolicy.None;
            config.InactiveThreshold = EphemeralInactiveThreshold;
        }

        return config;
    }

    // Reads one consumer into the subscriber's channel; a failure completes the channel with it. The channel holds one
    // message, so a subscriber that stops reading stops pulling after its prefetch.
    private static async Task PumpAsync(INatsJSConsumer consumer, int prefetch, ChannelWriter<INatsJSMsg<byte[]>> writer, CancellationToken stop)
    {
        try
        {
            var options = new NatsJSConsumeOpts { MaxMsgs = prefetch };
            await foreach (var message in consumer.ConsumeAsync<byte[]>(opts: options, cancellationToken: stop).ConfigureAwait(false))
            {
                await writer.WriteAsync(message, stop).ConfigureAwait(false);
            }

            writer.TryComplete(new NatsJSException($"The consumer '{consumer.Info.Name}' stopped."));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is NatsException or ChannelClosedException)
        {
            writer.TryComplete(ex);
        }
    }

    // The consumer filters for a pattern: its overlap with each subject the stream takes. JetStream 2.9 takes one filter
    // per consumer and only one within a stream subject, so soma.acme.> becomes soma.acme.{schema} for every schema.
    private IReadOnlyList<string> FiltersFor(string pattern) =>
        [.. StreamSubjects.Select(s => EventSubjects.Intersect(pattern, s)).OfType<string>().Distinct(StringComparer.Ordinal)];

    private async IAsyncEnumerable<BusDelivery> ReadAsync(
        BusSubscription subscription, IReadOnlyList<string> filters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var durable = subscription.DurableName is not null;
        var configs = filters.Select(f => ConsumerConfigFor(subscription, f)).ToList();
        var consumers = new List<INatsJSConsumer>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<INatsJSMsg<byte[]>>(new BoundedChannelOptions(1) { SingleReader = true });
        var pumps = new List<Task>();
        try
        {
            try
            {
                using var timeout = Timeout(cancellationToken);
                foreach (var config in configs)
                {
                    consumers.Add(await _js.CreateOrUpdateConsumerAsync(_options.Stream, config, timeout.Token).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, cancellationToken))
            {
                throw NatsErrors.Translate(ex, $"subscribe to '{subscription.Subject}'");
            }

            var prefetch = Math.Max(1, Prefetch / consumers.Count);
            pumps.AddRange(consumers.Select(c => PumpAsync(c, prefetch, channel.Writer, stop.Token)));
            while (true)
            {
                INatsJSMsg<byte[]>? message;
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }

                    if (!channel.Reader.TryRead(out message))
                    {
                        continue;
                    }
                }
                catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, cancellationToken))
                {
                    throw NatsErrors.Translate(ex, $"read '{subscription.Subject}'");
                }

                yield return new NatsDelivery(message, acknowledged: durable);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(pumps).ConfigureAwait(false);
            if (!durable)
            {
                foreach (var config in configs)
                {
                    await DeleteEphemeralAsync(config.Name!).ConfigureAwait(false);
                }
            }
        }
    }

    // Best effort: the server removes it anyway after the inactive threshold.
    private async Task DeleteEphemeralAsync(string name)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_timeout);
            await _js.DeleteConsumerAsync(_options.Stream, name, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, CancellationToken.None))
        {
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                var error = ex.GetType().Name;
                LogEphemeralNotDeleted(_logger, name, error);
            }
        }
    }

    private CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        return timeout;
    }

    private ValueTask OnServerErrorAsync(object? sender, NatsServerErrorEventArgs args)
    {
        const string Prefix = "Permissions Violation for Publish to \"";
        var error = args.Error;
        if (error.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && error.EndsWith('"'))
        {
            _refusedSubjects.TryAdd(error[Prefix.Length..^1], true);
        }

        LogServerError(_logger, error);
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,200}$")]
    private static partial Regex ConsumerName();

    [LoggerMessage(EventId = LogEvents.NatsEventBusStreamPrepared, Level = LogLevel.Information, Message = "JetStream stream {Stream} ready: {SubjectCount} subjects, max age {MaxAgeHours} h, {Replicas} replica(s)")]
    private static partial void LogStreamPrepared(ILogger logger, string stream, int subjectCount, int maxAgeHours, int replicas);

    [LoggerMessage(EventId = LogEvents.NatsEventBusServerError, Level = LogLevel.Warning, Message = "The NATS server reported an error: {Error}")]
    private static partial void LogServerError(ILogger logger, string error);

    [LoggerMessage(EventId = LogEvents.NatsEventBusEphemeralNotDeleted, Level = LogLevel.Debug, Message = "Could not delete the ephemeral consumer {Consumer} ({Error}); the server removes it when inactive")]
    private static partial void LogEphemeralNotDeleted(ILogger logger, string consumer, string error);
}
