using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Soma.Contracts.Identity;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Memory.Client;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Memory.Tests.Sync;

/// <summary>
/// The delivery pass on a real SQLite outbox against the SomaBrain stand-in: what reaches the service, what is kept,
/// what is given up on (and audited), and that an outage of any length gives up on nothing.
/// </summary>
public sealed class MemoryDispatcherTests : IAsyncLifetime
{
    private const int MaxAttempts = 3;
    private readonly TempDirectory _directory = new("soma-dispatch");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private SomaBrainStandIn _standIn = null!;
    private ServiceProvider _services = null!;

    private MemoryDispatcher Dispatcher => _services.GetRequiredService<MemoryDispatcher>();

    private IOutbox Outbox => _services.GetRequiredService<IOutbox>();

    public async ValueTask InitializeAsync()
    {
        _standIn = await SomaBrainStandIn.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSingleton<IIdGenerator>(new UuidV7Generator(_clock));
        services.AddSqliteStore();
        services.PostConfigure<SqliteStoreOptions>(o => o.Path = Path.Combine(_directory.Path, "soma.db"));
        services.Configure<OutboxOptions>(o => o.MaxAttempts = MaxAttempts);
        services.AddSomaRecallCache();
        services.AddSomaMemory();
        services.AddSomaMemoryClient();
        services.PostConfigure<MemoryClientOptions>(o =>
        {
            o.BaseUrl = _standIn.BaseAddress;
            o.ApiKey = _standIn.Token;
            o.MaxRetries = 0;
        });
        services.AddSingleton<IMemoryBackend>(sp => sp.GetRequiredService<ResilientMemoryBackend>());
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<IStore>().MigrateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _standIn.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_turn_s_writes_reach_the_service_in_one_batch_and_in_order()
    {
        var session = Guid.NewGuid();
        var (user, reply) = (Guid.NewGuid(), Guid.NewGuid());
        await WriteAsync(async (memory, tx) =>
        {
            await memory.RememberMessageAsync(tx, "acme", session, user, "user", "what is the capital of France?");
            await memory.RememberToolOutputAsync(tx, "acme", session, reply, 0, "call_1", "web.search", "Paris is the capital of France.");
            await memory.RememberAnswerAsync(tx, "acme", session, user, reply, "Paris.");
        });

        var pass = await Dispatcher.DeliverAsync("w", 25, null, CancellationToken.None);

        Assert.Equal(new DeliveryPass(4, 4, 0, 0, null), pass);
        var batch = Assert.Single(_standIn.RequestsTo("/memory/remember/batch"));
        using var body = JsonDocument.Parse(batch.Body);
        Assert.Equal(
            [MemoryKeys.Message("acme", session, user, "user"), MemoryKeys.ToolOutput("acme", session, reply, 0, "call_1"), MemoryKeys.Message("acme", session, reply, "assistant")],
            body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()));
        var link = Assert.Single(_standIn.RequestsTo("/link"));
        Assert.Contains("answered_by", link.Body, StringComparison.Ordinal);
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("check", 25, TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public async Task An_outage_of_any_length_gives_up_on_nothing()
    {
        var session = Guid.NewGuid();
        var message = Guid.NewGuid();
        await WriteAsync((memory, tx) => memory.RememberMessageAsync(tx, "acme", session, message, "user", "remember me"));
        await _standIn.StopListeningAsync();

        // Far more passes than Soma:Outbox:MaxAttempts: each one fails to reach the service and gives the row back.
        for (var i = 0; i < MaxAttempts * 4; i++)
        {
            var pass = await Dispatcher.DeliverAsync("w", 25, null, CancellationToken.None);
            Assert.Equal(1, pass.Claimed);
            Assert.NotNull(pass.TransientError);
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        await _standIn.StartListeningAsync();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var recovered = await Dispatcher.DeliverAsync("w", 25, null, CancellationToken.None);

        Assert.Equal(1, recovered.Sent);
        Assert.Equal(MemoryKeys.Message("acme", session, message, "user"), Assert.Single(_standIn.Memories).Key);
        Assert.DoesNotContain(await Outbox.ListDeadLetteredAsync("acme", 10), _ => true);
    }

    [Fact]
    public async Task A_write_the_service_keeps_refusing_is_dead_lettered_after_max_attempts_with_an_audit_record_while_the_rest_go_through()
    {
        var session = Guid.NewGuid();
        var (good, bad) = (Guid.NewGuid(), Guid.NewGuid());
        await WriteAsync(async (memory, tx) =>
        {
            await memory.RememberMessageAsync(tx, "acme", session, good, "user", "a good memory");
            await memory.LinkAsync(tx, "acme", session, new LinkRequest(MemoryKeys.Message("acme", session, bad, "user"), "elsewhere", "answered_by"));
        });

        // The link's source was never remembered: the service answers 404 for it, every time.
        var refusals = 0;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var pass = await Dispatcher.DeliverAsync("w", 25, null, CancellationToken.None);
            refusals += pass.Failed;
            Assert.Equal(attempt == MaxAttempts ? 1 : 0, pass.DeadLettered);
            _clock.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.Equal(MaxAttempts, refusals);
        Assert.Single(_standIn.Memories);
        var dead = Assert.Single(await Outbox.ListDeadLetteredAsync("acme", 10));
        Assert.Equal(MemoryKeys.LinkTopic, dead.Message.Topic);
        Assert.NotNull(dead.LastError);
        var audit = await _services.GetRequiredService<IAuditLog>().ListAsync("acme", new PageRequest(10, null), "memory.dead_letter");
        var record = Assert.Single(audit.Items);
        Assert.Equal("memory-sync", record.Actor);
        Assert.Contains(dead.Message.Id.ToString(), record.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Messages_remembered_as_they_are_accepted_arrive_once_in_order_and_a_refused_one_is_audited_by_its_memory_key()
    {
        var session = Guid.NewGuid();
        var (first, second, refused) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await WriteAsync(async (memory, tx) =>
        {
            await memory.RememberAcceptedMessageAsync(tx, "acme", session, first, "first");
            await memory.RememberAcceptedMessageAsync(tx, "acme", session, second, "second");
        });

        var pass = await Dispatcher.DeliverAsync("w", 25, null, CancellationToken.None);

        Assert.Equal(2, pass.Sent);
        var batch = Assert.Single(_standIn.RequestsTo("/memory/remember/batch"));
        using (var body = JsonDocument.Parse(batch.Body))
        {
            Assert.Equal(
                [MemoryKeys.Message("acme", session, first, "user"), MemoryKeys.Message("acme", session, second, "user")],
                body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()));
        }

        Assert.Equal(2, _standIn.Memories.Count);
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("check", 25, TimeSpan.FromSeconds(5))));

        // The service refuses the next one every time: its dead letter's audit record names the memory, not the row.
        await WriteAsync((memory, tx) => memory.RememberAcceptedMessageAsync(tx, "acme", session, refused, "refused"));
        _standIn.FailNext(MaxAttempts * 4, 422, detail: "value: field required");
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            await Dispatcher.DeliverAsync("w", 25, null, CancellationToken.None);
            _clock.Advance(TimeSpan.FromMinutes(5));
        }

        var dead = Assert.Single(await Outbox.ListDeadLetteredAsync("acme", 10));
        Assert.Equal(MemoryKeys.RememberTopic, dead.Message.Topic);
        Assert.Equal(dead.Message.Id.ToString(), dead.Message.DedupeKey);
        var audit = await _services.GetRequiredService<IAuditLog>().ListAsync("acme", new PageRequest(10, null), "memory.dead_letter");
        var record = Assert.Single(audit.Items);
        Assert.Equal(MemoryKeys.Message("acme", session, refused, "user"), record.Resource);
        Assert.Equal(2, _standIn.Memories.Count);
    }

    [Fact]
    public async Task Deferred_marks_ride_on_the_next_claim_and_the_claim_that_finds_nothing_marks_the_last()
    {
        // The sync worker's way: a pass delivers and leaves its rows leased; the next pass's claim marks them sent.
        var relay = _services.GetRequiredService<Soma.Core.Outbox.OutboxRelay>();
        var session = Guid.NewGuid();
        var first = Guid.NewGuid();
        await WriteAsync((memory, tx) => memory.RememberMessageAsync(tx, "acme", session, first, "user", "first"));

        var pass = await relay.PassAsync(Dispatcher.Route, Dispatcher, "w", 25, null, null, deferAcknowledgement: true, CancellationToken.None);

        Assert.Equal(1, pass.Sent);
        var delivered = Assert.Single(pass.Unacknowledged);
        Assert.Single(_standIn.Memories);
        var leased = await Outbox.GetAsync("acme", delivered);
        Assert.Equal((OutboxStatus.Pending, "w"), (leased!.Status, leased.LeaseOwner));

        // The session's next write waits behind its leased predecessor for anyone else; the owner's claim marks the
        // predecessor and takes it.
        var second = Guid.NewGuid();
        await WriteAsync((memory, tx) => memory.RememberMessageAsync(tx, "acme", session, second, "user", "second"));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("other", 25, TimeSpan.FromSeconds(5)) { Topics = Dispatcher.Route.Topics, InPartitionOrder = true }));
        var next = await relay.PassAsync(Dispatcher.Route, Dispatcher, "w", 25, null, pass.Unacknowledged, deferAcknowledgement: true, CancellationToken.None);

        Assert.Equal(1, next.Sent);
        Assert.Equal(OutboxStatus.Sent, (await Outbox.GetAsync("acme", delivered))!.Status);
        Assert.Equal(2, _standIn.Memories.Count);

        var last = await relay.PassAsync(Dispatcher.Route, Dispatcher, "w", 25, null, next.Unacknowledged, deferAcknowledgement: true, CancellationToken.None);

        Assert.Equal(0, last.Claimed);
        Assert.Empty(last.Unacknowledged);
        Assert.Equal(OutboxStatus.Sent, (await Outbox.GetAsync("acme", Assert.Single(next.Unacknowledged)))!.Status);
        Assert.DoesNotContain(await Outbox.GetDepthAsync(), d => d.TenantId == "acme" && d.Pending > 0);
    }

    private async Task WriteAsync(Func<MemoryWriteThrough, IStoreTransaction, Task> write)
    {
        var memory = _services.GetRequiredService<MemoryWriteThrough>();
        await using var transaction = await _services.GetRequiredService<IStore>().BeginAsync();
        await write(memory, transaction);
        await transaction.CommitAsync();
    }
}
