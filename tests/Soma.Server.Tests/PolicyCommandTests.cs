using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma policy</c>, the policy author's sandbox, as a real process: eval, test, check and replay.</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private const string Input = """
        {"tenant":"acme","subject":"u1","roles":["user"],"tool":{"name":"time.now","arguments":{},"risk":"low","sandbox":false},"session":null,"run":null,"step":null,"now":"2026-12-02T00:00:00Z"}
        """;

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-policy-cli-");
    private readonly PolicyFolder _policy = PolicyFolder.Create();

    public void Dispose()
    {
        _policy.Dispose();
        _work.Delete(recursive: true);
    }

    [Fact]
    public async Task Eval_prints_the_decision_in_each_format_and_fail_exits_1_when_undefined()
    {
        var input = Path.Combine(_work.FullName, "input.json");
        await File.WriteAllTextAsync(input, Input);

        var (code, stdout, stderr) = await SomaProcess.RunAsync(["policy", "eval", "-d", _policy.Path, "-i", input, "data.soma.tools.decision"]);
        Assert.True(code == 0, stderr);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.True(json.RootElement.GetProperty("result").GetProperty("allow").GetBoolean());
        }

        (code, stdout, _) = await SomaProcess.RunAsync(["policy", "eval", "-d", _policy.Path, "-i", input, "--format", "raw", "data.soma.tools.decision.reasons[0]"]);
        Assert.Equal((0, "granted by role \"user\""), (code, stdout.Trim()));

        (code, stdout, stderr) = await SomaProcess.RunAsync(["policy", "eval", "-d", _policy.Path, "-i", input, "--explain", "data.soma.tools.decision"]);
        Assert.Equal(0, code);
        Assert.Contains("rules that fired:", stderr, StringComparison.Ordinal);
        Assert.Contains("tools.rego:", stderr, StringComparison.Ordinal);

        (code, stdout, _) = await SomaProcess.RunAsync(["policy", "eval", "-d", _policy.Path, "--fail", "data.soma.tools.no_such_rule"]);
        Assert.Equal((1, "{}"), (code, stdout.Trim()));
    }

    [Fact]
    public async Task Bad_command_lines_exit_2_naming_the_problem()
    {
        var (code, _, stderr) = await SomaProcess.RunAsync(["policy", "eval", "-d", Path.Combine(_work.FullName, "missing"), "data.x"]);
        Assert.Equal(2, code);
        Assert.Contains("no such file or folder", stderr, StringComparison.Ordinal);

        var input = Path.Combine(_work.FullName, "bad.json");
        await File.WriteAllTextAsync(input, "{not json");
        (code, _, stderr) = await SomaProcess.RunAsync(["policy", "eval", "-d", _policy.Path, "-i", input, "data.x"]);
        Assert.Equal(2, code);
        Assert.Contains("is not a JSON or YAML document", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await SomaProcess.RunAsync(["policy", "eval", "-d", _policy.Path, "--format", "xml", "data.x"]);
        Assert.Equal(2, code);
        Assert.Contains("--format 'xml'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_runs_the_shipped_tests_with_coverage_and_a_failing_test_exits_1()
    {
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["policy", "test", _policy.Path, "--coverage"]);
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches(@"PASS: (\d+)/\1", stdout);
        Assert.Matches(@"tools\.rego: \d+\.\d% \(\d+/\d+ lines\)", stdout);

        _policy.Write("policies/extra_test.rego", "package soma.extra_test\n\nimport rego.v1\n\ntest_never if false\n");
        (code, stdout, _) = await SomaProcess.RunAsync(["policy", "test", _policy.Path]);
        Assert.Equal(1, code);
        Assert.Contains("FAIL", stdout, StringComparison.Ordinal);
        Assert.Contains("extra_test.rego:5:1 data.soma.extra_test.test_never", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_names_file_line_and_column_and_exits_1()
    {
        var (code, stdout, _) = await SomaProcess.RunAsync(["policy", "check", _policy.Path]);
        Assert.Equal(0, code);
        Assert.StartsWith("ok:", stdout, StringComparison.Ordinal);

        _policy.Write("policies/broken.rego", "package soma.broken\n\nimport rego.v1\n\nallow if {\n  input.x ==\n}\n");
        (code, _, var stderr) = await SomaProcess.RunAsync(["policy", "check", _policy.Path]);
        Assert.Equal(1, code);
        Assert.Matches(@"broken\.rego:\d+:\d+: ", stderr);
    }

    [Fact]
    public async Task Replay_shows_which_audited_calls_a_candidate_policy_would_change()
    {
        var data = Path.Combine(_work.FullName, "data");
        var port = SomaProcess.FreePort();
        await using (var soma = SomaProcess.Start(["serve", "--demo", "--data", data, "--urls", $"http://127.0.0.1:{port}"]))
        {
            var output = await soma.WaitForOutputAsync("Authorization: Bearer", TimeSpan.FromSeconds(60));
            var token = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("eyJ", StringComparison.Ordinal));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "replay" });
            var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var posted = await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "What time is it? And calculate 2+3" });
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var decisions = await http.GetFromJsonAsync<JsonElement>("/v1/policy/decisions");
                if (decisions.GetProperty("items").GetArrayLength() >= 2)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"no decisions within 60 s.\n{soma.Stderr}");
                await Task.Delay(100);
            }

            Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
        }

        // The candidate takes math.evaluate away from users.
        _policy.Write("roles.yaml", "version: 1\ndefault_roles: [user]\nroles:\n  user: {tools: [\"time.now\"]}\n");
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["policy", "replay", "--data", data, "--since", "1h", "--policy", _policy.Path, "--json"]);
        Assert.True(code == 0, stderr);
        var change = JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(("math.evaluate", "allow", "deny"), (change.GetProperty("tool").GetString(), change.GetProperty("was").GetString(), change.GetProperty("now").GetString()));
        Assert.Contains("2 decisions replayed", stderr, StringComparison.Ordinal);
        Assert.Contains("1 unchanged, 1 allowed → denied, 0 denied → allowed", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await SomaProcess.RunAsync(["policy", "replay", "--data", data, "--since", "yesterday"]);
        Assert.Equal(2, code);
        Assert.Contains("--since 'yesterday'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_retired_allow_list_key_stops_the_start_naming_it()
    {
        var (code, _, stderr) = await SomaProcess.RunAsync(
            ["serve", "--data", Path.Combine(_work.FullName, "data"), "--urls", $"http://127.0.0.1:{SomaProcess.FreePort()}"],
            new Dictionary<string, string> { ["SOMA__TOOLS__ALLOW__0"] = "time.now" });
        Assert.Equal(2, code);
        Assert.Contains("Soma:Tools:Allow is no longer read", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work.FullName, "data")), "nothing is written when the configuration is wrong");
    }
}
