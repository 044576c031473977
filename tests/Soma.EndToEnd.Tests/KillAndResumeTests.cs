using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Soma.Testing;

namespace Soma.EndToEnd.Tests;

/// <summary>
/// The durability promise with real processes: runs survive <c>kill -9</c> of the server at random moments, finish,
/// and their side effects complete exactly once in the ledger, whether every step is committed (<c>demo.pipeline</c>) or
/// pure steps' results are committed together (<c>demo.pipeline.batched</c>).
/// </summary>
public sealed class KillAndResumeTests(ITestOutputHelper output)
{
    private const int Runs = 50;
    private const int Kills = 5;

    [Theory]
    [InlineData("demo.pipeline")]
    [InlineData("demo.pipeline.batched")]
    public async Task Fifty_runs_survive_five_kill_9s_with_each_effect_completed_once_and_contiguous_checkpoints(string workflow)
    {
        using var data = new TempDirectory("soma-e2e");
        await using var webhook = await WebhookReceiver.StartAsync();
        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}";
        var environment = new Dictionary<string, string>
        {
            ["SOMA__DEMO__WEBHOOKURL"] = webhook.Url,
            ["SOMA__ORCHESTRATION__LEASESECONDS"] = "2",
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",

            // Few runs at a time, so the work spans every kill.
            ["SOMA__ORCHESTRATION__MAXCONCURRENTRUNS"] = "6",
        };
        string[] serve = ["serve", "--data", data.Path, "--urls", url];

        var server = SomaProcess.Start(serve, environment);
        try
        {
            await server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
            var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "e2e", "--sub", "tester", "--data", data.Path], environment);
            Assert.True(code == 0, error);
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());

            var runIds = new List<string>();
            async Task StartRunsAsync(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    var response = await client.PostAsJsonAsync("/v1/runs", new { workflow, input = new { order = runIds.Count + 1, step_delay_ms = 120 } });
                    response.EnsureSuccessStatusCode();
                    runIds.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!);
                }
            }

            await StartRunsAsync(Runs);

            var random = new Random(20261125);
            var killedMidRun = 0;
            for (var kill = 0; kill < Kills; kill++)
            {
                await Task.Delay(random.Next(100, 700));
                var succeededBefore = await CountSucceededAsync(client);
                await server.KillHardAsync();
                killedMidRun += succeededBefore < runIds.Count ? 1 : 0;
                output.WriteLine($"kill -9 #{kill + 1}: {succeededBefore} of {runIds.Count} runs had succeeded");
                await server.DisposeAsync();
                server = SomaProcess.Start(serve, environment);
                await server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));

                // The worker resumes runs while the server starts; on a busy machine a start takes seconds, time enough to
                // finish most of the work. More runs keep the next kill in the middle of work.
                if (kill + 1 < Kills && await CountSucceededAsync(client) > runIds.Count - Runs / 2)
                {
                    await StartRunsAsync(Runs / 2);
                }
            }

            Assert.Equal(Kills, killedMidRun);
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (await CountSucceededAsync(client) < runIds.Count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {await CountSucceededAsync(client)} of {runIds.Count} runs succeeded.\n{server.Stdout}");
                await Task.Delay(200);
            }

            var exit = await server.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, $"the server exited with {exit} when asked to stop.\n{server.Stdout}");

            // The ledger and the checkpoints, read from the store itself.
            await using var db = new SqliteConnection($"Data Source={Path.Combine(data.Path, "soma.db")};Mode=ReadOnly;Pooling=false");
            await db.OpenAsync();
            var effects = await QueryAsync(db, "SELECT key, COUNT(*) FROM effects GROUP BY key", r => (r.GetString(0), r.GetInt64(1)));
            Assert.Equal(runIds.Count, effects.Count);
            Assert.All(effects, e => Assert.Equal(1, e.Item2));
            var expectedKeys = runIds.Select(id => $"{Guid.Parse(id):N}/notify/0").ToHashSet();
            Assert.True(expectedKeys.SetEquals(effects.Select(e => e.Item1)));

            foreach (var id in runIds)
            {
                var versions = await QueryAsync(db, $"SELECT version FROM checkpoints WHERE run_id = '{Guid.Parse(id)}' ORDER BY version", r => r.GetInt64(0));
                Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions);
                if (workflow == "demo.pipeline")
                {
                    Assert.True(versions.Count >= 10, $"run {id} has {versions.Count} checkpoints");
                }
                else
                {
                    // The policy decision (audited in its commit), the effect and the end at least; far fewer than per step.
                    Assert.InRange(versions.Count, 3, 10);
                }
            }

            // Every run delivered its webhook at least once; a crash between the call and its commit delivers twice.
            Assert.True(expectedKeys.SetEquals(webhook.CallsByKey.Keys));
            var twice = webhook.CallsByKey.Count(k => k.Value > 1);
            output.WriteLine($"receiver saw {twice} of {runIds.Count} idempotency keys more than once (max {webhook.CallsByKey.Values.Max()} deliveries)");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<int> CountSucceededAsync(HttpClient client)
    {
        try
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/v1/runs?state=succeeded&limit=500");
            return page.GetProperty("items").GetArrayLength();
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    private static async Task<List<T>> QueryAsync<T>(SqliteConnection db, string sql, Func<SqliteDataReader, T> read)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
