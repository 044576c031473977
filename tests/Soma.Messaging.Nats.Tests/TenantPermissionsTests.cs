using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using Soma.Core.Messaging;
using Soma.Testing;

namespace Soma.Messaging.Nats.Tests;

/// <summary>
/// One NATS user per tenant, each allowed to subscribe to its own subjects only, and a service user that publishes
/// everything: the configuration in docs/messaging/bus.md ("Access per tenant"), tested as written there.
/// </summary>
public sealed class TenantPermissionsTests : IAsyncLifetime
{
    // Keep in step with docs/messaging/bus.md.
    public const string Configuration = """
        authorization {
          users = [
            { user: soma, password: soma-secret, permissions: { publish: ">", subscribe: ">" } }
            { user: acme, password: acme-secret, permissions: {
                publish: { deny: ">" }
                subscribe: { allow: ["soma.acme.>", "_INBOX.>"] } } }
            { user: globex, password: globex-secret, permissions: {
                publish: { deny: ">" }
                subscribe: { allow: ["soma.globex.>", "_INBOX.>"] } } }
          ]
        }
        """;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private NatsServer _server = null!;
    private NatsConnection _service = null!;
    private NatsEventBus _bus = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await NatsServer.StartNewAsync(Configuration);
        var options = new NatsBusOptions { Url = _server.Url, User = "soma", Password = "soma-secret", TimeoutSeconds = 10 };
        _service = NatsConnectionFactory.Create(options);
        _bus = new NatsEventBus(_service, Options.Create(options));
        await _bus.PrepareAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_tenant_receives_its_events_and_is_refused_another_tenants()
    {
        await using var acme = Connect("acme", "acme-secret");
        var errors = new ConcurrentQueue<string>();
        acme.ServerError += (_, e) =>
        {
            errors.Enqueue(e.Error);
            return ValueTask.CompletedTask;
        };
        await acme.ConnectAsync();
        using var stop = new CancellationTokenSource(Deadline);

        var own = new ConcurrentQueue<NatsMsg<byte[]>>();
        var stolen = new ConcurrentQueue<NatsMsg<byte[]>>();
        var ownSubscription = await acme.SubscribeCoreAsync<byte[]>("soma.acme.>", cancellationToken: stop.Token);
        var otherSubscription = await acme.SubscribeCoreAsync<byte[]>("soma.globex.>", cancellationToken: stop.Token);
        var readingOwn = CollectAsync(ownSubscription, own, stop.Token);
        var readingOther = CollectAsync(otherSubscription, stolen, stop.Token);

        // The server answers the forbidden subscription with -ERR, which NATS.Net raises as a ServerError.
        await WaitUntilAsync(() => errors.Any(e => e.Contains("Permissions Violation for Subscription to \"soma.globex.>\"", StringComparison.Ordinal)), stop.Token);

        var theirs = Message("globex");
        var mine = Message("acme");
        await _bus.PublishAsync(theirs, stop.Token);
        await _bus.PublishAsync(mine, stop.Token);

        // Acme's own event arrives after globex's was published: had globex's been delivered to acme, it would be here.
        await WaitUntilAsync(() => own.Any(m => m.Subject == mine.Subject), stop.Token);
        Assert.Empty(stolen);
        Assert.All(own, m => Assert.StartsWith("soma.acme.", m.Subject, StringComparison.Ordinal));

        await ownSubscription.DisposeAsync();
        await otherSubscription.DisposeAsync();
        await stop.CancelAsync();
        await Task.WhenAll(readingOwn, readingOther);
    }

    [Fact]
    public async Task A_tenant_user_cannot_publish_events_and_the_bus_says_so_without_retrying()
    {
        var options = new NatsBusOptions { Url = _server.Url, User = "acme", Password = "acme-secret", TimeoutSeconds = 10 };
        await using var connection = NatsConnectionFactory.Create(options);
        var bus = new NatsEventBus(connection, Options.Create(options));

        var refused = await Assert.ThrowsAsync<EventBusException>(() => bus.PublishAsync(Message("acme")));
        Assert.False(refused.IsTransient);
        Assert.DoesNotContain("acme-secret", refused.ToString(), StringComparison.Ordinal);
    }

    private static BusMessage Message(string tenant) =>
        new(Guid.CreateVersion7(), EventSubjects.For(tenant, "agent.runs.v1"), Encoding.UTF8.GetBytes($"{{\"tenant\":\"{tenant}\"}}"));

    private static async Task CollectAsync(INatsSub<byte[]> subscription, ConcurrentQueue<NatsMsg<byte[]>> into, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(cancellationToken))
            {
                into.Enqueue(message);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private NatsConnection Connect(string user, string password) => new(NatsOpts.Default with
    {
        Url = _server.Url,
        AuthOpts = NatsAuthOpts.Default with { Username = user, Password = password },
    });
}
