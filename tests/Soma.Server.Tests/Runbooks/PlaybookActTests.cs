using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Server.Tests.Runbooks;

/// <summary>
/// The steps that change things (<c>```sh title="act"</c>) are not run by <see cref="ExecutedRunbookTests"/>; the ones a
/// single SQLite node can take are run here, in the order the playbooks give, on a real <c>soma serve</c> that is stopped
/// and started as the pages say: a backup, a restore, and a signing key rotation.
/// </summary>
public sealed class PlaybookActTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new("soma-playbook-acts");
    private readonly string _url = $"http://127.0.0.1:{FreePort.Next()}";
    private Dictionary<string, string> _environment = null!;

    private string Data => Path.Combine(_work.Path, "data");

    public ValueTask InitializeAsync()
    {
        var backups = Path.Combine(_work.Path, "backups");
        Directory.CreateDirectory(backups);
        _environment = new Dictionary<string, string>
        {
            ["PATH"] = RunbookShell.Path(RunbookShell.SomaOnPath(_work.Path)),
            ["SOMA_URL"] = _url,
            ["SOMA_DATA"] = Data,
            ["BACKUP_DIR"] = backups,
        };
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _work.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_backup_restored_as_the_playbook_says_brings_back_its_data_and_key_and_a_leaked_key_retired_on_the_running_server_refuses_old_tokens()
    {
        var restore = RunbookPage.Load("backup-restore");
        var rotation = RunbookPage.Load("signing-key-rotation");
        string oldToken;
        Guid kept;
        Guid lost;
        await using (var server = await StartAsync())
        {
            oldToken = await TokenAsync();
            kept = await CreateSessionAsync(oldToken, "before the backup");

            // The backup checks, as the page runs them while the server runs (a restore now is refused).
            foreach (var block in restore.Checks.Where(b => b.Code.Contains("$BACKUP_DIR", StringComparison.Ordinal)))
            {
                await ShellAsync(block);
            }

            lost = await CreateSessionAsync(oldToken, "after the backup");
        }

        // Restore with the server stopped: the SQLite steps, then soma migrate; the PostgreSQL steps need a PostgreSQL.
        var restoreSteps = restore.Blocks.Where(b => b.Title == "act" && !b.Code.Contains("pg_", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, restoreSteps.Count); // soma restore and the key; soma migrate
        foreach (var block in restoreSteps)
        {
            await ShellAsync(block);
        }

        Assert.True(File.Exists(Path.Combine(Data, "soma.db.pre-restore")), "the replaced database is kept aside, not deleted");
        await using (var server = await StartAsync())
        {
            using var http = Client(oldToken);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/sessions/{kept}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/sessions/{lost}")).StatusCode);
        }

        // A leaked key, as the page says: a new signer and the old key retired, on the running server, no restart.
        await using (var server = await StartAsync())
        {
            var rotate = Assert.Single(rotation.Blocks, b => b.Title == "act" && b.Code.Contains("soma keys retire", StringComparison.Ordinal));
            var issued = await ShellAsync(rotate);
            var newToken = issued.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("eyJ", StringComparison.Ordinal));
            var environment = new Dictionary<string, string>(_environment) { ["SOMA_TOKEN"] = newToken };
            foreach (var block in rotation.Checks)
            {
                var (code, output) = await RunbookShell.RunAsync(block.Code, environment, _work.Path);
                Assert.True(code == 0 && block.Expects.All(e => output.Contains(e, StringComparison.Ordinal)), $"{block}: exit {code}\n{output}");
            }

            // As the page says: a token signed before the rotation is refused with token.key_retired, once the server has read the ring.
            using var old = Client(oldToken);
            await EventuallyAsync(async () => (await old.GetAsync("/v1/health")).StatusCode == HttpStatusCode.Unauthorized, "the server to read the rotated ring");
            var refused = await old.GetAsync("/v1/health");
            Assert.Equal("Bearer error=\"invalid_token\", error_description=\"token.key_retired\"", refused.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task On_PostgreSQL_a_running_server_comes_back_by_itself_after_the_database_restarts_and_a_pg_dump_restored_as_the_playbook_says_brings_back_its_data()
    {
        var restore = RunbookPage.Load("backup-restore");
        using var timeout = new CancellationTokenSource(Patience);
        await using var postgres = await PostgresServer.StartAsync(timeout.Token);
        var connectionString = await postgres.CreateDatabaseAsync(timeout.Token);
        var settings = new Dictionary<string, string>
        {
            ["SOMA__STORE__PROVIDER"] = "postgres",
            ["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = connectionString,
        };
        foreach (var (key, value) in settings)
        {
            _environment[key] = value;
        }

        _environment["PG_URL"] = postgres.Uri(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!);
        var (migrated, _, migrateError) = await SomaProcess.RunAsync(["migrate", "--data", Data], settings);
        Assert.True(migrated == 0, migrateError);
        var token = await TokenAsync();
        Guid kept;
        Guid lost;
        await using (var server = await StartAsync(settings))
        {
            kept = await CreateSessionAsync(token, "before the backup");
            await ShellAsync(Assert.Single(restore.Blocks, b => b.Title == "act" && b.Code.StartsWith("pg_dump", StringComparison.Ordinal)));
            lost = await CreateSessionAsync(token, "after the backup");

            // database-failover.md: while the database is gone the server is not ready; it comes back without a restart.
            using var http = Client(token);
            await postgres.StopAsync(timeout.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
            await postgres.StartAgainAsync(timeout.Token);
            await EventuallyAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the server to be ready again after the database restarted");
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/sessions/{lost}")).StatusCode);
        }

        // Restore with the servers stopped: pg_restore, then soma migrate.
        await ShellAsync(Assert.Single(restore.Blocks, b => b.Title == "act" && b.Code.StartsWith("pg_restore", StringComparison.Ordinal)));
        await ShellAsync(Assert.Single(restore.Blocks, b => b.Title == "act" && b.Code.StartsWith("soma migrate", StringComparison.Ordinal)));
        await using (var server = await StartAsync(settings))
        {
            using var http = Client(token);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/sessions/{kept}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/sessions/{lost}")).StatusCode);
        }
    }

    [Fact]
    public async Task A_waiting_run_resumed_and_another_cancelled_as_the_stuck_runs_playbook_says_end()
    {
        var page = RunbookPage.Load("stuck-runs");
        await using var server = await StartAsync();
        var token = await TokenAsync();
        _environment["SOMA_TOKEN"] = token;
        using var http = Client(token);
        foreach (var (verb, ended) in ((string, string)[])[("soma runs resume", "succeeded"), ("soma runs cancel", "cancelled")])
        {
            var started = await http.PostAsJsonAsync("/v1/runs", new { workflow = "demo.approval" });
            started.EnsureSuccessStatusCode();
            var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
            await EventuallyAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}")).GetProperty("state").GetString() == "waiting", "the run to wait");
            _environment["RUN_ID"] = runId;
            await ShellAsync(Assert.Single(page.Blocks, b => b.Title == "act" && b.Code.StartsWith(verb, StringComparison.Ordinal)));
            await EventuallyAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}")).GetProperty("state").GetString() == ended, $"the run to be {ended}");
        }
    }

    [Fact]
    public async Task A_dead_lettered_event_made_pending_as_the_poisoned_row_playbook_says_is_validated_again_by_the_relay()
    {
        var page = RunbookPage.Load("poisoned-outbox-row");
        await using var server = await StartAsync();
        var db = Path.Combine(Data, "soma.db");
        var eventId = await RunbookStates.PoisonAsync(db);
        _environment["EVENT_ID"] = eventId;
        var audited = await RunbookStates.Sqlite3Async(db, "SELECT count(*) FROM audit_log WHERE action = 'event.rejected'");
        Assert.Equal("1", audited.Trim());

        await ShellAsync(Assert.Single(page.Blocks, b => b.Title == "act"));

        // The relay claims the row again and, its payload still refused, dead-letters it again: a second audited refusal.
        await RunbookStates.WaitForAsync(async () => (await RunbookStates.Sqlite3Async(db, "SELECT count(*) FROM audit_log WHERE action = 'event.rejected'")).Trim() == "2", "the relay to validate the row again");
        Assert.Equal("2|1", (await RunbookStates.Sqlite3Async(db, $"SELECT status, attempts FROM outbox WHERE id = '{eventId}'")).Trim());
    }

    private static async Task EventuallyAsync(Func<Task<bool>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(200);
        }
    }

    private async Task<SomaProcess> StartAsync(Dictionary<string, string>? settings = null)
    {
        var server = SomaProcess.Start(["serve", "--data", Data, "--urls", _url], settings);
        await server.WaitForOutputAsync("listening on", Patience);
        return server;
    }

    private async Task<string> ShellAsync(RunbookBlock block)
    {
        var (code, output) = await RunbookShell.RunAsync(block.Code, _environment, _work.Path);
        Assert.True(code == block.ExitCode, $"{block}: exit {code} (expected {block.ExitCode})\n$ {block.Code}\n{output}");
        Assert.All(block.Expects, e => Assert.Contains(e, output, StringComparison.Ordinal));
        return output;
    }

    private async Task<string> TokenAsync()
    {
        var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "ops", "--roles", "admin", "--data", Data]);
        Assert.True(code == 0, error);
        return token.Trim();
    }

    private HttpClient Client(string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(_url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private async Task<Guid> CreateSessionAsync(string token, string title)
    {
        using var http = Client(token);
        var created = await http.PostAsJsonAsync("/v1/sessions", new { title });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
