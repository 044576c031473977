using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma memory status|recall|flush|reindex</c> against a real server process whose memory is a stand-in.</summary>
public sealed class MemoryCommandTests(MemoryServerFixture fixture) : IClassFixture<MemoryServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Status_recall_and_a_dry_run_flush_print_what_the_server_knows()
    {
        var tenant = NewTenant();
        await PostMessageAsync(tenant, "the zephyrine lantern is in the attic");
        await EventuallyAsync(async () =>
        {
            var (code, json, _) = await Soma("memory", "recall", "zephyrine", "--tenant", tenant, "--json");
            return code == 0 && JsonDocument.Parse(json).RootElement.GetProperty("results").GetArrayLength() > 0;
        }, "recall to find the message");

        var (recallCode, recalled, recallError) = await Soma("memory", "recall", "zephyrine", "--tenant", tenant);
        Assert.True(recallCode == 0, recallError);
        Assert.Contains("zephyrine lantern", recalled, StringComparison.Ordinal);
        Assert.Contains($"{tenant}/", recalled, StringComparison.Ordinal);

        var (statusCode, status, statusError) = await Soma("memory", "status", "--tenant", tenant);
        Assert.True(statusCode == 0, statusError);
        Assert.Contains("mode ", status, StringComparison.Ordinal);
        Assert.Contains("breaker ", status, StringComparison.Ordinal);
        Assert.Contains("drain rate", status, StringComparison.Ordinal);
        Assert.True(status.Contains("TENANT", StringComparison.Ordinal) || status.Contains("no memory writes waiting", StringComparison.Ordinal), status);

        var (jsonCode, json, _) = await Soma("memory", "status", "--tenant", tenant, "--json");
        Assert.Equal(0, jsonCode);
        var parsed = JsonDocument.Parse(json).RootElement;
        Assert.Contains(parsed.GetProperty("mode").GetString(), new[] { "normal", "degraded", "down" });
        Assert.Equal("closed", parsed.GetProperty("breaker").GetString());
        Assert.Equal(JsonValueKind.Array, parsed.GetProperty("tenants").ValueKind);

        var (dryCode, dry, dryError) = await Soma("memory", "flush", "--dry-run", "--tenant", tenant);
        Assert.True(dryCode == 0, dryError);
        Assert.Contains("dry run", dry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flush_while_memory_is_down_exits_1_naming_the_problem()
    {
        var tenant = NewTenant();
        await fixture.Memory.StopListeningAsync();
        try
        {
            await EventuallyAsync(async () =>
            {
                var (_, json, _) = await Soma("memory", "status", "--tenant", tenant, "--json");
                return json.Length > 0 && JsonDocument.Parse(json).RootElement.GetProperty("mode").GetString() == "down";
            }, "memory mode down");
            await PostMessageAsync(tenant, "written while memory is down");

            await EventuallyAsync(async () =>
            {
                var (_, json, _) = await Soma("memory", "status", "--tenant", tenant, "--json");
                return JsonDocument.Parse(json).RootElement.GetProperty("tenants").EnumerateArray().Any(t => t.GetProperty("tenant").GetString() == tenant);
            }, "the tenant's waiting write in the status");
            var (statusCode, status, _) = await Soma("memory", "status", "--tenant", tenant);
            Assert.Equal(0, statusCode);
            Assert.Contains("mode        down", status, StringComparison.Ordinal);
            Assert.Contains("TENANT", status, StringComparison.Ordinal);
            var row = Assert.Single(status.Split('\n'), l => l.StartsWith(tenant, StringComparison.Ordinal));
            Assert.Equal("1", row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

            var (code, _, error) = await Soma("memory", "flush", "--tenant", tenant);
            Assert.Equal(1, code);
            Assert.Contains("memory service", error, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Memory.StartListeningAsync();
        }

        // Once memory is back the write is delivered (by the sync worker or by the flush) and a flush ends well.
        await EventuallyAsync(async () =>
        {
            var (_, json, _) = await Soma("memory", "status", "--tenant", tenant, "--json");
            return JsonDocument.Parse(json).RootElement.GetProperty("mode").GetString() == "normal";
        }, "memory mode normal");
        var (flushCode, flushed, flushError) = await Soma("memory", "flush", "--tenant", tenant);
        Assert.True(flushCode == 0, flushError);
        Assert.Contains("0 remaining", flushed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_and_an_unreachable_server_exit_non_zero_with_a_message()
    {
        var (noQuery, _, noQueryError) = await Soma("memory", "recall", "--tenant", "acme");
        Assert.Equal(2, noQuery);
        Assert.Contains("Required argument missing for command: 'recall'", noQueryError, StringComparison.Ordinal);

        var (topK, _, topKError) = await Soma("memory", "recall", "word", "--top-k", "0", "--tenant", "acme");
        Assert.NotEqual(0, topK);
        Assert.Contains("top_k", topKError.Replace("--top-k", "top_k", StringComparison.Ordinal), StringComparison.Ordinal);

        var unreachable = $"http://127.0.0.1:{FreePort.Next()}";
        var (code, _, error) = await SomaProcess.RunAsync(["memory", "status", "--url", unreachable, "--token", "x"]);
        Assert.Equal(1, code);
        Assert.Contains("cannot reach", error, StringComparison.Ordinal);
        Assert.Contains(unreachable, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reindex_shows_how_far_it_got_and_refuses_a_model_the_server_cannot_embed_with()
    {
        var tenant = NewTenant();
        var (code, output, error) = await Soma("memory", "reindex", "--model", "arctic-embed-xs", "--tenant", tenant);
        Assert.True(code == 0, error);
        Assert.Contains("arctic-embed-xs: 0 of 0 memories have a current vector", output, StringComparison.Ordinal);

        var (jsonCode, json, _) = await Soma("memory", "reindex", "--model", "arctic-embed-xs", "--tenant", tenant, "--json");
        Assert.Equal(0, jsonCode);
        var last = JsonDocument.Parse(json.Trim().Split('\n')[^1]).RootElement;
        Assert.True(last.GetProperty("done").GetBoolean());

        var (badCode, _, badError) = await Soma("memory", "reindex", "--model", "no-such-model", "--tenant", tenant);
        Assert.NotEqual(0, badCode);
        Assert.Contains("no-such-model", badError, StringComparison.Ordinal);

        var (modeCode, _, modeError) = await Soma("memory", "recall", "word", "--mode", "fuzzy", "--tenant", tenant);
        Assert.NotEqual(0, modeCode);
        Assert.Contains("fuzzy", modeError, StringComparison.Ordinal);
    }

    private static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    private Task<(int ExitCode, string Stdout, string Stderr)> Soma(params string[] args) =>
        SomaProcess.RunAsync([.. args, "--url", fixture.Url, "--data", fixture.DataDir]);

    private async Task PostMessageAsync(string tenant, string content)
    {
        var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", tenant, "--sub", "tester", "--data", fixture.DataDir]);
        Assert.True(code == 0, error);
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "cli" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var posted = await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content });
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
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
}
