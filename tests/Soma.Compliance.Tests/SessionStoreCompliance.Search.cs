namespace Soma.Compliance.Tests;

/// <summary>The reads a conversation turn makes: the recent context, and a search for every word of a query.</summary>
public abstract partial class SessionStoreCompliance<TEngine>
{
    [Fact]
    public async Task Recent_messages_are_the_newest_n_oldest_first()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, null, null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        var messages = await AppendAsync(session, Enumerable.Range(0, 7).Select(i => $"m{i}").ToArray());

        Assert.Equal(["m4", "m5", "m6"], (await Sessions.ListRecentMessagesAsync(tenant, session.Id, 3)).Select(m => m.Content));
        Assert.Equal(messages, await Sessions.ListRecentMessagesAsync(tenant, session.Id, 100));
        Assert.Equal(["m6"], (await Sessions.ListRecentMessagesAsync(tenant, session.Id, 1)).Select(m => m.Content));
        Assert.Empty(await Sessions.ListRecentMessagesAsync(tenant, session.Id, 0));
        Assert.Empty(await Sessions.ListRecentMessagesAsync(NewTenant(), session.Id, 10));
        Assert.Empty(await Sessions.ListRecentMessagesAsync(tenant, Guid.CreateVersion7(), 10));
    }

    [Fact]
    public async Task Messages_up_to_one_message_leave_out_the_later_ones_however_many()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, null, null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        var messages = await AppendAsync(session, Enumerable.Range(0, 40).Select(i => $"m{i}").ToArray());

        // A turn for m5 while 34 later messages already wait: its context ends with m5, not with the newest.
        Assert.Equal(["m3", "m4", "m5"], (await Sessions.ListMessagesUpToAsync(tenant, session.Id, messages[5].Id, 3)).Select(m => m.Content));
        Assert.Equal(messages.Take(6), await Sessions.ListMessagesUpToAsync(tenant, session.Id, messages[5].Id, 100));
        Assert.Equal(["m39"], (await Sessions.ListMessagesUpToAsync(tenant, session.Id, messages[39].Id, 1)).Select(m => m.Content));
        Assert.Empty(await Sessions.ListMessagesUpToAsync(tenant, session.Id, Guid.CreateVersion7(), 10));
        Assert.Empty(await Sessions.ListMessagesUpToAsync(NewTenant(), session.Id, messages[5].Id, 10));
    }

    [Fact]
    public async Task Search_finds_messages_with_every_word_in_any_case_newest_first_up_to_the_limit()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, null, null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        await AppendAsync(session,
            "The quarterly REPORT is ready",
            "report draft only",
            "Quarterly numbers only",
            "the report for the quarter: QUARTERLY",
            "Reporting quarterly figures",
            "nothing to see");

        Assert.Equal(
            ["Reporting quarterly figures", "the report for the quarter: QUARTERLY", "The quarterly REPORT is ready"],
            (await Sessions.SearchMessagesAsync(tenant, session.Id, "quarterly Report", 10)).Select(m => m.Content));
        Assert.Equal(
            ["Reporting quarterly figures", "the report for the quarter: QUARTERLY"],
            (await Sessions.SearchMessagesAsync(tenant, session.Id, "  QUARTERLY\treport \n", 2)).Select(m => m.Content));
        Assert.Empty(await Sessions.SearchMessagesAsync(tenant, session.Id, "report mars", 10));
        Assert.Empty(await Sessions.SearchMessagesAsync(tenant, session.Id, "report", 0));
    }

    [Fact]
    public async Task Search_treats_like_wildcards_backslashes_and_quotes_literally()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, null, null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        await AppendAsync(session, "100% sure", "1000 sure", "snake_case", "snakeXcase", "C:\\temp", "C:temp", "'; DROP TABLE sessions; --", "plain");

        foreach (var (query, only) in new[]
        {
            ("100%", "100% sure"),
            ("%", "100% sure"),
            ("snake_case", "snake_case"),
            ("_", "snake_case"),
            ("C:\\temp", "C:\\temp"),
            ("\\", "C:\\temp"),
            ("'; DROP TABLE sessions; --", "'; DROP TABLE sessions; --"),
        })
        {
            Assert.Equal([only], (await Sessions.SearchMessagesAsync(tenant, session.Id, query, 20)).Select(m => m.Content));
        }

        Assert.Equal(8, (await Sessions.ListRecentMessagesAsync(tenant, session.Id, 20)).Count);
    }

    [Fact]
    public async Task Search_never_returns_another_sessions_or_another_tenants_messages()
    {
        var tenant = NewTenant();
        var other = NewTenant();
        var mine = NewSession(tenant, null, null);
        var sibling = NewSession(tenant, null, null);
        var foreign = mine with { TenantId = other };
        await InTransactionAsync(async tx =>
        {
            await Sessions.CreateAsync(tx, mine);
            await Sessions.CreateAsync(tx, sibling);
            await Sessions.CreateAsync(tx, foreign);
        });
        await AppendAsync(mine, "secret plan mine");
        await AppendAsync(sibling, "secret plan sibling");
        await AppendAsync(foreign, "secret plan foreign");

        Assert.Equal(["secret plan mine"], (await Sessions.SearchMessagesAsync(tenant, mine.Id, "secret plan", 20)).Select(m => m.Content));
        Assert.Equal(["secret plan foreign"], (await Sessions.SearchMessagesAsync(other, mine.Id, "secret plan", 20)).Select(m => m.Content));
        Assert.Empty(await Sessions.SearchMessagesAsync(other, sibling.Id, "secret", 20));
        Assert.Equal(["secret plan mine"], (await Sessions.ListRecentMessagesAsync(tenant, mine.Id, 20)).Select(m => m.Content));
    }

    [Fact]
    public async Task Search_requires_every_word_even_in_a_long_query()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, null, null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        await AppendAsync(session, "one two three four five six seven eight nine ten", "one two three four five six seven eight");

        Assert.Equal(
            ["one two three four five six seven eight nine ten"],
            (await Sessions.SearchMessagesAsync(tenant, session.Id, "one two three four five six seven eight nine", 20)).Select(m => m.Content));
    }

    [Fact]
    public async Task Search_ignores_case_beyond_ascii()
    {
        var tenant = NewTenant();
        var session = NewSession(tenant, null, null);
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        await AppendAsync(session, "Un ÉTÉ à Zürich", "un hiver");

        Assert.Equal(["Un ÉTÉ à Zürich"], (await Sessions.SearchMessagesAsync(tenant, session.Id, "été ZÜRICH", 20)).Select(m => m.Content));
    }
}
