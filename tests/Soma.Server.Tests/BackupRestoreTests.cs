using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Server.Tests.Runbooks;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary>
/// <c>soma backup</c> and <c>soma restore</c> as an operator runs them, on real processes: a backup taken while clients
/// keep posting messages to a real <c>soma serve</c>, restored into a fresh data directory, and a server started on it.
/// </summary>
public sealed class BackupRestoreTests : IAsyncLifetime
{
    private const int Clients = 4;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _work = new("soma-backup-restore");
    private DevModelServer _model = null!;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        _model = await DevModelServer.StartAsync(new DevModelServerOptions(), timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _model.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task A_backup_taken_under_load_restores_every_message_acknowledged_before_it_and_its_runs_complete_after_the_restart()
    {
        var live = Path.Combine(_work.Path, "live");
        var restored = Path.Combine(_work.Path, "restored");
        var backup = Path.Combine(_work.Path, "soma-backup.db");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var acknowledged = new ConcurrentQueue<Accepted>();
        Accepted[] beforeBackup;
        Accepted[] afterBackup;
        string token;
        Guid[] sessions;

        await using (var server = SomaProcess.Start(["serve", "--data", live, "--urls", url], Settings()))
        {
            await server.WaitForOutputAsync("listening on", Patience);
            token = await TokenAsync(live);
            using var http = Client(url, token);
            sessions = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => CreateSessionAsync(http, $"load {i}")));

            // Several clients post messages without pause, from before the backup starts until well after it ended.
            using var stopLoad = new CancellationTokenSource(Patience);
            var load = Task.WhenAll(sessions.Select(session => PostUntilStoppedAsync(http, session, acknowledged, stopLoad.Token)));
            await WaitForAsync(() => acknowledged.Count >= 40, "40 messages to be acknowledged", load);

            // Every message whose 202 was read before the backup process started must be in the backup.
            beforeBackup = [.. acknowledged];
            var (code, stdout, stderr) = await SomaProcess.RunAsync(["backup", "--data", live, "--out", backup]);
            Assert.True(code == 0, $"soma backup exited {code}\n{stdout}\n{stderr}");
            Assert.Contains("integrity ok", stdout, StringComparison.Ordinal);
            var backupEnded = acknowledged.Count;
            var backupEndedAt = Stopwatch.GetTimestamp();
            Assert.True(backupEnded > beforeBackup.Length, "the clients were acknowledged while the backup ran (the load was on)");

            // Messages sent after the backup ended are not in it: the restore below must come from the backup. (Sent, not
            // acknowledged: on a loaded machine the 202 of a message committed before the backup's snapshot can arrive
            // after the backup process has exited.)
            await WaitForAsync(() => acknowledged.Count(a => a.SentAt > backupEndedAt) >= 20, "20 messages sent after the backup", load);
            await stopLoad.CancelAsync();
            await load;
            afterBackup = [.. acknowledged.Where(a => a.SentAt > backupEndedAt)];

            // The running server's database is not replaced under it.
            var refused = await SomaProcess.RunAsync(["restore", "--data", live, "--from", backup]);
            Assert.True(refused.ExitCode == 1, $"restore over a running server exited {refused.ExitCode}\n{refused.Stdout}\n{refused.Stderr}");
            Assert.Contains("in use by a running soma process", refused.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(live, "soma.db.pre-restore")), "the refused restore touched nothing");
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/sessions/{sessions[0]}")).StatusCode);

            Assert.Equal(0, await server.TerminateAsync(Patience));
        }

        // A fresh node: the backup restored into an empty data directory, with the signing key copied beside it.
        var (restoreCode, restoreOut, restoreErr) = await SomaProcess.RunAsync(["restore", "--data", restored, "--from", backup]);
        Assert.True(restoreCode == 0, $"soma restore exited {restoreCode}\n{restoreOut}\n{restoreErr}");
        Assert.Contains("there was no database to replace", restoreOut, StringComparison.Ordinal);
        File.Copy(Path.Combine(live, "jwt-hs256.key"), Path.Combine(restored, "jwt-hs256.key"));
        var database = Path.Combine(restored, "soma.db");
        Assert.Equal("ok", (await RunbookStates.Sqlite3Async(database, "PRAGMA integrity_check")).Trim());

        // Runs that were running when the backup was taken have a lease in it: a short one, so the new worker takes them over.
        var settings = Settings();
        settings["SOMA__ORCHESTRATION__LEASESECONDS"] = "2";
        await using (var server = SomaProcess.Start(["serve", "--data", restored, "--urls", url], settings))
        {
            await server.WaitForOutputAsync("listening on", Patience);
            using var http = Client(url, token);
            var messages = new HashSet<Guid>();
            foreach (var session in sessions)
            {
                messages.UnionWith(await MessageIdsAsync(http, session));
            }

            var lost = beforeBackup.Where(a => !messages.Contains(a.MessageId)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {beforeBackup.Length} messages acknowledged before the backup are missing after the restore: {string.Join(", ", lost.Take(5).Select(a => a.MessageId))}");
            Assert.DoesNotContain(afterBackup, a => messages.Contains(a.MessageId));

            // Each acknowledged turn's run ends, whether it had ended, was running or was only accepted in the backup.
            foreach (var accepted in beforeBackup)
            {
                await WaitForAsync(async () => await RunStateAsync(http, accepted.RunId) == "succeeded", $"run {accepted.RunId} to succeed after the restore", server);
            }

            // And the outbox drains: nothing the backup held stays pending.
            await WaitForAsync(async () => (await RunbookStates.Sqlite3Async(database, "SELECT count(*) FROM outbox WHERE status = 0")).Trim() == "0", "the restored outbox to drain", server);
        }
    }

    [Fact]
    public async Task Restore_refuses_a_missing_file_a_file_that_is_not_a_soma_database_and_one_from_a_newer_version_naming_the_problem()
    {
        var data = Path.Combine(_work.Path, "data");
        Assert.Equal(0, (await SomaProcess.RunAsync(["migrate", "--data", data])).ExitCode);
        var backup = Path.Combine(_work.Path, "good.db");
        Assert.Equal(0, (await SomaProcess.RunAsync(["backup", "--data", data, "--out", backup])).ExitCode);

        var again = await SomaProcess.RunAsync(["backup", "--data", data, "--out", backup]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);

        var text = Path.Combine(_work.Path, "notes.db");
        await File.WriteAllTextAsync(text, "not a database at all");
        var other = Path.Combine(_work.Path, "other.db");
        await RunbookStates.Sqlite3Async(other, "CREATE TABLE things (id INTEGER)");
        var newer = Path.Combine(_work.Path, "newer.db");
        File.Copy(backup, newer);
        await RunbookStates.Sqlite3Async(newer, "INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_from_the_future', 0)");

        var target = Path.Combine(_work.Path, "target");
        foreach (var (file, expected) in new[]
        {
            (Path.Combine(_work.Path, "missing.db"), "no backup file at"),
            (text, "is not a SQLite database"),
            (other, "not a SomaAgent one"),
            (newer, "9999_from_the_future are unknown to this version"),
        })
        {
            var (code, _, stderr) = await SomaProcess.RunAsync(["restore", "--data", target, "--from", file]);
            Assert.True(code == 2, $"restore from {Path.GetFileName(file)} exited {code}: {stderr}");
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(target, "soma.db")), $"a refused restore from {Path.GetFileName(file)} wrote a database");
        }

        // Over an existing database: the old file is kept, and a second restore does not overwrite what the first kept.
        var first = await SomaProcess.RunAsync(["restore", "--data", data, "--from", backup]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(File.Exists(Path.Combine(data, "soma.db.pre-restore")));
        var second = await SomaProcess.RunAsync(["restore", "--data", data, "--from", backup]);
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("soma.db.pre-restore from an earlier restore is in the way", second.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_of_a_postgres_store_prints_the_pg_dump_commands_for_its_database_without_the_password_and_exits_2()
    {
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["backup", "--data", _work.Path, "--out", Path.Combine(_work.Path, "x.db")], new Dictionary<string, string>
        {
            ["SOMA__STORE__PROVIDER"] = "postgres",
            ["SOMA__STORE__POSTGRES__CONNECTIONSTRING"] = "Host=db.internal;Port=5433;Database=soma_prod;Username=soma;Password=hunter2-secret",
        });
        Assert.Equal(2, code);
        Assert.Contains("pg_dump --format=custom --file=soma.dump \"postgresql://soma@db.internal:5433/soma_prod\"", stderr, StringComparison.Ordinal);
        Assert.Contains("pg_restore", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", stdout + stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work.Path, "x.db")));
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = _model.BaseAddress.ToString(),
        ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
        ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",
        ["SOMA__GATEWAY__REQUESTSPERSECOND"] = "100000",
        ["SOMA__GATEWAY__REQUESTBURST"] = "100000",
        ["SOMA__GATEWAY__MAXCONCURRENTTURNS"] = "100000",
    };

    private static async Task PostUntilStoppedAsync(HttpClient http, Guid session, ConcurrentQueue<Accepted> acknowledged, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested && i < 5_000; i++)
        {
            HttpResponseMessage response;
            var sentAt = Stopwatch.GetTimestamp();
            try
            {
                response = await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = $"message {i}" }, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None);
                    acknowledged.Enqueue(new Accepted(body.GetProperty("message_id").GetGuid(), body.GetProperty("run_id").GetGuid(), sentAt));
                }
            }
        }
    }

    private static async Task<HashSet<Guid>> MessageIdsAsync(HttpClient http, Guid session)
    {
        var ids = new HashSet<Guid>();
        string? cursor = null;
        do
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/messages?limit=500{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                ids.Add(item.GetProperty("id").GetGuid());
            }

            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        return ids;
    }

    private static async Task<string?> RunStateAsync(HttpClient http, Guid run) =>
        (await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{run}")).GetProperty("state").GetString();

    private static async Task<Guid> CreateSessionAsync(HttpClient http, string title)
    {
        using var created = await http.PostAsJsonAsync("/v1/sessions", new { title });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<string> TokenAsync(string data)
    {
        var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "ops", "--roles", "admin", "--ttl", "2h", "--data", data]);
        Assert.True(code == 0, error);
        return token.Trim();
    }

    private static HttpClient Client(string url, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static Task WaitForAsync(Func<bool> probe, string what, Task load) =>
        WaitForAsync(() => Task.FromResult(probe()), what, () => load.IsCompleted ? $"the load ended early: {load.Exception?.GetBaseException().Message ?? "no error"}" : null);

    private static Task WaitForAsync(Func<Task<bool>> probe, string what, SomaProcess server) =>
        WaitForAsync(probe, what, () => server.HasExited ? $"the server exited {server.ExitCode}: {server.Stderr}" : null);

    private static async Task WaitForAsync(Func<Task<bool>> probe, string what, Func<string?> broken)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await probe())
        {
            if (broken() is { } reason)
            {
                throw new InvalidOperationException($"While waiting for {what}: {reason}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(100);
        }
    }

    private sealed record Accepted(Guid MessageId, Guid RunId, long SentAt);
}
