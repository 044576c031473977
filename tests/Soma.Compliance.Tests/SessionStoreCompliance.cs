using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteSessionStoreCompliance(SqliteEngine engine) : SessionStoreCompliance<SqliteEngine>(engine);

public sealed class PostgresSessionStoreCompliance(PostgresEngine engine) : SessionStoreCompliance<PostgresEngine>(engine);

/// <summary>The session and message contract every engine keeps.</summary>
public abstract partial class SessionStoreCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    private ISessionStore Sessions => Ports.Sessions;

    [Fact]
    public async Task A_session_round_trips_with_its_title_and_metadata()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, "Quarterly report", "{\"b\":1,\"a\":[true,null,\"ü\"]}");
        var untitled = NewSession(tenant, null, null);
        await InTransactionAsync(async tx =>
        {
            await Sessions.CreateAsync(tx, session);
            await Sessions.CreateAsync(tx, untitled);
        });

        var read = await Sessions.GetAsync(tenant, session.Id);
        Assert.NotNull(read);
        Assert.Equal(session.Title, read.Title);
        Assert.Equal(session.Metadata, read.Metadata);
        Assert.Equal(session.CreatedAt, read.CreatedAt);
        Assert.Equal(session.TenantId, read.TenantId);
        var bare = await Sessions.GetAsync(tenant, untitled.Id);
        Assert.Null(bare!.Title);
        Assert.Null(bare.Metadata);
    }

    [Fact]
    public async Task Another_tenant_sees_nothing_and_changes_nothing()
    {
        var owner = NewTenant();
        var intruder = NewTenant();
        var session = NewSession(owner, "private", null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        await InTransactionAsync(tx => Sessions.AppendMessageAsync(tx, NewMessage(owner, session.Id, "secret")));

        Assert.Null(await Sessions.GetAsync(intruder, session.Id));
        Assert.Empty((await Sessions.ListAsync(intruder, new PageRequest())).Items);
        Assert.Empty((await Sessions.ListMessagesAsync(intruder, session.Id, new PageRequest())).Items);
        Assert.False(await InTransactionAsync(tx => Sessions.UpdateTitleAsync(tx, intruder, session.Id, "pwned", Clock.GetUtcNow())));
        Assert.False(await InTransactionAsync(tx => Sessions.AppendMessageAsync(tx, NewMessage(intruder, session.Id, "injected"))));
        Assert.False(await InTransactionAsync(tx => Sessions.DeleteAsync(tx, intruder, session.Id)));

        Assert.Equal("private", (await Sessions.GetAsync(owner, session.Id))!.Title);
        Assert.Equal(["secret"], (await Sessions.ListMessagesAsync(owner, session.Id, new PageRequest())).Items.Select(m => m.Content));
    }

    [Fact]
    public async Task Listing_is_newest_first_and_paging_returns_each_session_exactly_once_even_with_equal_times()
    {
        var tenant = NewTenant();
        var sessions = new List<Session>();
        for (var i = 0; i < 11; i++)
        {
            // Three share each timestamp: the id breaks the tie.
            var at = ComplianceSuite<TEngine>.Start.AddSeconds(i / 3);
            sessions.Add(new Session(Guid.CreateVersion7(), tenant, $"s{i}", null, at, at));
        }

        await InTransactionAsync(async tx =>
        {
            foreach (var s in sessions)
            {
                await Sessions.CreateAsync(tx, s);
            }
        });

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Sessions.ListAsync(tenant, new PageRequest(4, cursor));
            Assert.True(page.Items.Count <= 4);
            seen.AddRange(page.Items.Select(s => s.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(sessions.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Select(s => s.Id), seen);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("AAAA")]
    public async Task An_invalid_cursor_is_refused(string cursor)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Sessions.ListAsync(NewTenant(), new PageRequest(10, cursor)));
        await Assert.ThrowsAsync<ArgumentException>(() => Sessions.ListMessagesAsync(NewTenant(), Guid.CreateVersion7(), new PageRequest(10, cursor)));
    }

    [Fact]
    public async Task Renaming_changes_the_title_and_update_time_and_an_unknown_session_is_false()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, "before", null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        var later = Clock.GetUtcNow().AddMinutes(5);

        Assert.True(await InTransactionAsync(tx => Sessions.UpdateTitleAsync(tx, tenant, session.Id, "after", later)));
        var renamed = await Sessions.GetAsync(tenant, session.Id);
        Assert.Equal("after", renamed!.Title);
        Assert.Equal(later, renamed.UpdatedAt);
        Assert.Equal(session.CreatedAt, renamed.CreatedAt);
        Assert.False(await InTransactionAsync(tx => Sessions.UpdateTitleAsync(tx, tenant, Guid.CreateVersion7(), "x", later)));
    }

    [Fact]
    public async Task Deleting_removes_the_session_and_its_messages_once()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, "doomed", null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        await InTransactionAsync(tx => Sessions.AppendMessageAsync(tx, NewMessage(tenant, session.Id, "hello")));

        Assert.True(await InTransactionAsync(tx => Sessions.DeleteAsync(tx, tenant, session.Id)));
        Assert.False(await InTransactionAsync(tx => Sessions.DeleteAsync(tx, tenant, session.Id)));
        Assert.Null(await Sessions.GetAsync(tenant, session.Id));
        Assert.Empty((await Sessions.ListMessagesAsync(tenant, session.Id, new PageRequest())).Items);

        // A session created again with the same id starts empty.
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        Assert.Empty((await Sessions.ListMessagesAsync(tenant, session.Id, new PageRequest())).Items);
    }

    [Fact]
    public async Task Messages_need_an_existing_session_and_list_oldest_first_in_pages()
    {
        var tenant = NewTenant();
        Assert.False(await InTransactionAsync(tx => Sessions.AppendMessageAsync(tx, NewMessage(tenant, Guid.CreateVersion7(), "orphan"))));

        var session = NewSession(tenant, "chat", null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        var messages = Enumerable.Range(0, 7)
            .Select(i => NewMessage(tenant, session.Id, $"m{i}", ComplianceSuite<TEngine>.Start.AddMilliseconds(i)) with { Role = i % 2 == 0 ? "user" : "assistant", Metadata = i == 3 ? "{\"tool\":\"search\"}" : null })
            .ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages.AsEnumerable().Reverse())
            {
                Assert.True(await Sessions.AppendMessageAsync(tx, m));
            }
        });

        var seen = new List<SessionMessage>();
        string? cursor = null;
        do
        {
            var page = await Sessions.ListMessagesAsync(tenant, session.Id, new PageRequest(3, cursor));
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(messages.Select(m => m.Content), seen.Select(m => m.Content));
        Assert.Equal("assistant", seen[3].Role);
        Assert.Equal("{\"tool\":\"search\"}", seen[3].Metadata);
        Assert.All(seen, m => Assert.Equal(session.Id, m.SessionId));
    }

    [Fact]
    public async Task A_rolled_back_session_and_message_leave_nothing()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, "never", null);
        await using (var transaction = await Store.BeginAsync())
        {
            await Sessions.CreateAsync(transaction, session);
            Assert.True(await Sessions.AppendMessageAsync(transaction, NewMessage(tenant, session.Id, "never")));
        }

        Assert.Null(await Sessions.GetAsync(tenant, session.Id));
        Assert.Empty((await Sessions.ListAsync(tenant, new PageRequest())).Items);
    }

    /// <summary>Appends <paramref name="contents"/> in order, one millisecond apart, in one transaction.</summary>
    private async Task<List<SessionMessage>> AppendAsync(Session session, params string[] contents)
    {
        var messages = contents.Select((c, i) => NewMessage(session.TenantId, session.Id, c, Clock.GetUtcNow().AddMilliseconds(i))).ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages)
            {
                Assert.True(await Sessions.AppendMessageAsync(tx, m));
            }
        });
        Clock.Advance(TimeSpan.FromSeconds(1));
        return messages;
    }

    private Session NewSession(string tenant, string? title, string? metadata) =>
        new(Guid.CreateVersion7(), tenant, title, metadata, Clock.GetUtcNow(), Clock.GetUtcNow());

    private SessionMessage NewMessage(string tenant, Guid session, string content, DateTimeOffset? at = null) =>
        new(Guid.CreateVersion7(), tenant, session, "user", content, null, at ?? Clock.GetUtcNow());
}
