using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Soma.Core.Health;

namespace Soma.Core.Messaging;

/// <summary>
/// The embedded bus: an in-memory log with the semantics of the NATS stream, so code written against one behaves the same
/// on the other. It keeps the newest <see cref="InProcessEventBusOptions.MaxMessages"/> messages, refuses a message id seen
/// within the duplicate window, accepts only <c>soma.{tenant}.{schema}</c> subjects of known schemas, and shares durable
/// consumers by name. Nothing survives the process.
/// </summary>
public sealed class InProcessEventBus : IEventBus, IHealthReporter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly int _maxMessages;
    private readonly TimeSpan _duplicateWindow;
    private readonly HashSet<string> _schemas;

    // The log: _log[_head..] hold contiguous sequences; the slots before _head were dropped and are compacted away in
    // batches, so trimming the oldest message is O(1) amortised.
    private readonly List<Entry?> _log = [];
    private readonly Dictionary<Guid, ulong> _ids = [];
    private readonly Queue<(Guid Id, DateTimeOffset At)> _idsByAge = new();
    private readonly Dictionary<string, Durable> _durables = new(StringComparer.Ordinal);
    private int _head;
    private ulong _lastSequence;

    // Completed and replaced whenever there is something new to read (a message, a released delivery): every waiting
    // subscriber wakes and looks.
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Creates an empty bus.</summary>
    public InProcessEventBus(TimeProvider timeProvider, InProcessEventBusOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        options ??= new InProcessEventBusOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessages, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DuplicateWindow, TimeSpan.Zero, nameof(options));
        _time = timeProvider;
        _maxMessages = options.MaxMessages;
        _duplicateWindow = options.DuplicateWindow;
        _schemas = new HashSet<string>(options.Schemas, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public string Name => "in-process";

    /// <summary>How many messages the bus holds now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _log.Count - _head;
            }
        }
    }

    /// <inheritdoc />
    public Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<BusPublishResult> PublishAsync(BusMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        if (!EventSubjects.IsStored(message.Subject, _schemas))
        {
            throw new EventBusException(
                $"The bus stores no subject '{message.Subject}': events go to soma.{{tenant}}.{{schema}} of a known schema.",
                isTransient: false);
        }

        TaskCompletionSource changed;
        ulong sequence;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            ForgetExpiredIds(now);
            if (_ids.TryGetValue(message.Id, out var original))
            {
                return Task.FromResult(new BusPublishResult(original, Duplicate: true));
            }

            sequence = ++_lastSequence;

            // A copy: the caller may reuse its buffer once the publish returns.
            _log.Add(new Entry(sequence, message.Id, message.Subject, message.Payload.ToArray(), now));
            _ids[message.Id] = sequence;
            _idsByAge.Enqueue((message.Id, now));
            TrimOldest();
            changed = SwapSignal();
        }

        changed.TrySetResult();
        return Task.FromResult(new BusPublishResult(sequence, Duplicate: false));
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

        if (!_schemas.Any(schema => EventSubjects.Intersect(subscription.Subject, EventSubjects.AnyTenant(schema)) is not null))
        {
            throw new EventBusException($"The bus stores no subject that '{subscription.Subject}' matches.", isTransient: false);
        }

        if (subscription.DurableName is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(subscription.DurableName, nameof(subscription));
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(subscription.AckWait, TimeSpan.Zero, nameof(subscription));
            return ReadDurableAsync(subscription, cancellationToken);
        }

        return ReadEphemeralAsync(subscription, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(new ComponentHealth("bus", HealthStatus.Normal, new Dictionary<string, object?>
            {
                ["provider"] = Name,
                ["messages"] = _log.Count - _head,
                ["max_messages"] = _maxMessages,
                ["last_sequence"] = _lastSequence,
                ["durable_consumers"] = _durables.Count,
            }));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async IAsyncEnumerable<BusDelivery> ReadEphemeralAsync(
        BusSubscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ulong next;
        lock (_gate)
        {
            next = StartSequence(subscription);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Entry? entry;
            Task changed;
            lock (_gate)
            {
                entry = FindNext(subscription.Subject, ref next);
                changed = _changed.Task;
            }

            if (entry is not null)
            {
                yield return new Delivery(this, entry, deliveryCount: 1, durable: null);
                continue;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async IAsyncEnumerable<BusDelivery> ReadDurableAsync(
        BusSubscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var owner = new object();
        Durable durable;
        lock (_gate)
        {
            if (!_durables.TryGetValue(subscription.DurableName!, out durable!))
            {
                durable = new Durable(subscription.Subject, StartSequence(subscription));
                _durables.Add(subscription.DurableName!, durable);
            }
            else if (!string.Equals(durable.Subject, subscription.Subject, StringComparison.Ordinal))
            {
                throw new EventBusException(
                    $"The durable consumer '{subscription.DurableName}' reads '{durable.Subject}', not '{subscription.Subject}'.",
                    isTransient: false);
            }

            // Consumer-wide, as on NATS: the latest subscriber's settings win.
            durable.AckWait = subscription.AckWait;
        }

        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                (Entry Entry, int Count)? taken;
                TimeSpan? untilRedelivery;
                Task changed;
                lock (_gate)
                {
                    taken = Take(durable, owner, out untilRedelivery);
                    changed = _changed.Task;
                }

                if (taken is { } delivery)
                {
                    yield return new Delivery(this, delivery.Entry, delivery.Count, durable);
                    continue;
                }

                if (untilRedelivery is { } wait)
                {
                    try
                    {
                        await changed.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // An unacknowledged message's ack wait ran out: take it on the next pass.
                    }
                }
                else
                {
                    await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Release(durable, owner);
        }
    }

    // The next message of a durable consumer for one of its subscribers: first an unacknowledged one whose subscriber is
    // gone or whose ack wait ran out (lowest sequence first), then the next new one. Otherwise says when the earliest
    // outstanding delivery may be redelivered.
    private (Entry Entry, int Count)? Take(Durable durable, object owner, out TimeSpan? untilRedelivery)
    {
        untilRedelivery = null;
        var now = _time.GetUtcNow();
        List<ulong>? gone = null;
        (Entry, int)? taken = null;
        foreach (var (sequence, pending) in durable.Pending)
        {
            if (Find(sequence) is not { } entry)
            {
                // Dropped from the log (capacity): nothing left to redeliver.
                (gone ??= []).Add(sequence);
                continue;
            }

            if (pending.Owner is null || pending.Deadline <= now)
            {
                pending.Owner = owner;
                pending.Count++;
                pending.Deadline = now + durable.AckWait;
                taken = (entry, pending.Count);
                break;
            }

            var wait = pending.Deadline - now;
            untilRedelivery = untilRedelivery is { } earlier && earlier < wait ? earlier : wait;
        }

        foreach (var sequence in gone ?? [])
        {
            durable.Pending.Remove(sequence);
        }

        if (taken is not null)
        {
            untilRedelivery = null;
            return taken;
        }

        var next = durable.Next;
        var found = FindNext(durable.Subject, ref next);
        durable.Next = next;
        if (found is null)
        {
            return null;
        }

        durable.Pending.Add(found.Sequence, new Pending { Owner = owner, Count = 1, Deadline = now + durable.AckWait });
        untilRedelivery = null;
        return (found, 1);
    }

    // A subscriber stopped reading: what it took and did not acknowledge goes to the consumer's other subscribers now,
    // not after the ack wait.
    private void Release(Durable durable, object owner)
    {
        TaskCompletionSource? changed = null;
        lock (_gate)
        {
            foreach (var pending in durable.Pending.Values)
            {
                if (ReferenceEquals(pending.Owner, owner))
                {
                    pending.Owner = null;
                    changed ??= SwapSignal();
                }
            }
        }

        changed?.TrySetResult();
    }

    private void Ack(Durable durable, ulong sequence)
    {
        lock (_gate)
        {
            durable.Pending.Remove(sequence);
        }
    }

    private ulong FirstSequence => _log.Count > _head ? _log[_head]!.Sequence : _lastSequence + 1;

    private ulong StartSequence(BusSubscription subscription)
    {
        switch (subscription.DeliverFrom)
        {
            case BusDeliverFrom.New:
                return _lastSequence + 1;
            case BusDeliverFrom.Time:
                for (var i = _head; i < _log.Count; i++)
                {
                    if (_log[i]!.Timestamp >= subscription.StartTime)
                    {
                        return _log[i]!.Sequence;
                    }
                }

                return _lastSequence + 1;
            default:
                return FirstSequence;
        }
    }

    private Entry? Find(ulong sequence)
    {
        var first = FirstSequence;
        return sequence >= first && sequence <= _lastSequence ? _log[_head + (int)(sequence - first)] : null;
    }

    // The first message at or after next whose subject matches; moves next past it (or past the end).
    private Entry? FindNext(string pattern, ref ulong next)
    {
        var first = FirstSequence;
        if (next < first)
        {
            next = first;
        }

        for (var i = _head + (int)(next - first); i < _log.Count; i++)
        {
            var entry = _log[i]!;
            if (EventSubjects.Matches(pattern, entry.Subject))
            {
                next = entry.Sequence + 1;
                return entry;
            }
        }

        next = _lastSequence + 1;
        return null;
    }

    private void ForgetExpiredIds(DateTimeOffset now)
    {
        while (_idsByAge.TryPeek(out var oldest) && oldest.At + _duplicateWindow <= now)
        {
            _idsByAge.Dequeue();
            _ids.Remove(oldest.Id);
        }
    }

    private void TrimOldest()
    {
        while (_log.Count - _head > _maxMessages)
        {
            _log[_head++] = null;
        }

        if (_head >= 1024 && _head >= _log.Count / 2)
        {
            _log.RemoveRange(0, _head);
            _head = 0;
        }
    }

    private TaskCompletionSource SwapSignal()
    {
        var changed = _changed;
        _changed = NewSignal();
        return changed;
    }

    private sealed record Entry(ulong Sequence, Guid Id, string Subject, byte[] Payload, DateTimeOffset Timestamp);

    private sealed class Durable(string subject, ulong next)
    {
        public string Subject { get; } = subject;

        public ulong Next { get; set; } = next;

        public TimeSpan AckWait { get; set; }

        // Delivered and not yet acknowledged, by sequence (redelivered lowest first).
        public SortedDictionary<ulong, Pending> Pending { get; } = [];
    }

    private sealed class Pending
    {
        public object? Owner { get; set; }

        public int Count { get; set; }

        public DateTimeOffset Deadline { get; set; }
    }

    private sealed class Delivery : BusDelivery
    {
        private readonly InProcessEventBus _bus;
        private readonly Durable? _durable;

        [SetsRequiredMembers]
        public Delivery(InProcessEventBus bus, Entry entry, int deliveryCount, Durable? durable)
        {
            _bus = bus;
            _durable = durable;
            Id = entry.Id;
            Subject = entry.Subject;
            Payload = entry.Payload;
            Sequence = entry.Sequence;
            DeliveryCount = deliveryCount;
            Timestamp = entry.Timestamp;
        }

        public override ValueTask AckAsync(CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_durable is not null)
            {
                _bus.Ack(_durable, Sequence);
            }

            return ValueTask.CompletedTask;
        }
    }
}
