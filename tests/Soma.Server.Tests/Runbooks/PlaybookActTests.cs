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

    public Task InitializeAsync()
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
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _work.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_backup_restored_as_the_playbook_says_brings_back_its_data_and_key_and_a_rotated_key_refuses_old_tokens()
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

            // The backup checks, as the page runs them while the server runs.
            foreach (var block in restore.Checks.Where(b => b.Code.Contains("$BACKUP_DIR", StringComparison.Ordinal)))
            {
                await ShellAsync(block);
            }

            lost = await CreateSessionAsync(oldToken, "after the backup");
        }

        // Restore with the server stopped: the SQLite steps, then soma migrate; the PostgreSQL steps need a PostgreSQL.
        var restoreSteps = restore.Blocks.Where(b => b.Title == "act" && !b.Code.Contains("pg_", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, restoreSteps.Count); // the damaged files aside and the backup in place; soma migrate
        foreach (var block in restoreSteps)
        {
            await ShellAsync(block);
        }

        Assert.True(File.Exists(Path.Combine(Data, "damaged", "soma.db")), "the damaged database is kept aside, not deleted");
        await using (var server = await StartAsync())
        {
            using var http = Client(oldToken);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/sessions/{kept}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/sessions/{lost}")).StatusCode);
        }

        // Rotation with the gateways stopped: the old key aside, a new one created by soma token issue, whose token is printed.
        var rotate = Assert.Single(rotation.Blocks, b => b.Title == "act");
        var issued = await ShellAsync(rotate);
        var newToken = issued.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("eyJ", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Data, "jwt-hs256.key.old")));
        await using (var server = await StartAsync())
        {
            var environment = new Dictionary<string, string>(_environment) { ["SOMA_TOKEN"] = newToken };
            foreach (var block in rotation.Checks)
            {
                var (code, output) = await RunbookShell.RunAsync(block.Code, environment, _work.Path);
                Assert.True(code == 0 && block.Expects.All(e => output.Contains(e, StringComparison.Ordinal)), $"{block}: exit {code}\n{output}");
            }

            environment["SOMA_TOKEN"] = oldToken;
            var probe = Assert.Single(rotation.Checks, b => b.Code.Contains("/v1/health", StringComparison.Ordinal));
            var (_, old) = await RunbookShell.RunAsync(probe.Code, environment, _work.Path);
            Assert.Equal("401", old.Trim()); // as the page says: a token signed before the rotation is refused
        }
    }

    private async Task<SomaProcess> StartAsync()
    {
        var server = SomaProcess.Start(["serve", "--data", Data, "--urls", _url]);
        await server.WaitForOutputAsync("listening on", Patience);
        return server;
    }

    private async Task<string> ShellAsync(RunbookBlock block)
    {
        var (code, output) = await RunbookShell.RunAsync(block.Code, _environment, _work.Path);
        Assert.True(code == 0, $"{block}: exit {code}\n$ {block.Code}\n{output}");
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
