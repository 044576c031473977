using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Soma.Server.Tests.Alerts;
using Soma.Testing;

namespace Soma.Server.Tests.Dashboards;

/// <summary>
/// The Grafana dashboards parse, and every metric a dashboard or an alert rule reads is one a real <c>soma serve</c>
/// exports after a chat turn, so a renamed metric fails here rather than leaving an empty panel or a silent alert.
/// </summary>
public sealed class DashboardTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-dash-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public void The_five_dashboards_are_importable_with_a_prometheus_datasource_input()
    {
        Assert.Equal(
            ["soma-bus.json", "soma-memory-outbox.json", "soma-overview.json", "soma-tools-sandbox.json", "soma-turns-models.json"],
            Dashboards.Files.Select(Path.GetFileName));
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Dashboards.Files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var root = document.RootElement;
            Assert.True(uids.Add(root.GetProperty("uid").GetString()!), $"{file}: its uid is not unique");
            Assert.Contains(root.GetProperty("__inputs").EnumerateArray(), i => i.GetProperty("name").GetString() == "DS_PROMETHEUS");
            foreach (var panel in root.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row"))
            {
                Assert.True(panel.GetProperty("datasource").GetProperty("uid").GetString() == "${DS_PROMETHEUS}", $"{file}: panel '{panel.GetProperty("title")}' does not use the DS_PROMETHEUS input");
                Assert.True(panel.GetProperty("targets").GetArrayLength() > 0, $"{file}: panel '{panel.GetProperty("title")}' has no query");
            }
        }
    }

    [Fact]
    public async Task Promtool_parses_every_dashboard_query()
    {
        var expressions = Dashboards.Expressions();
        Assert.True(expressions.Count >= 40, $"only {expressions.Count} dashboard queries found");

        // promtool has no offline query parser, but it parses every rule's PromQL: one recording rule per query.
        var rules = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        for (var i = 0; i < expressions.Count; i++)
        {
            rules.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:query:{i}\n        expr: {JsonSerializer.Serialize(Dashboards.Substitute(expressions[i].Expr))}\n");
        }

        var file = Path.Combine(_work.FullName, "dashboards.rules.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        var (code, output) = await AlertRules.PromtoolAsync("check", "rules", file);
        Assert.True(code == 0, $"{output}\nqueries:\n{string.Join('\n', expressions.Select((e, i) => $"{i}: {e.File} '{e.Panel}': {e.Expr}"))}");
    }

    [Fact]
    public async Task A_broken_query_fails_the_same_promtool_check_and_names_are_read_without_labels()
    {
        // The check above cannot pass vacuously: the same path refuses a query with a syntax error.
        var file = Path.Combine(_work.FullName, "broken.rules.yml");
        await File.WriteAllTextAsync(file, "groups:\n  - name: dashboards\n    rules:\n      - record: dashboard:query:0\n        expr: \"sum by (tool) (rate(soma_tool_calls_total[5m])\"\n");
        var (code, _) = await AlertRules.PromtoolAsync("check", "rules", file);
        Assert.NotEqual(0, code);

        Assert.Equal(
            ["soma_tool_calls_total", "soma_node_info"],
            Dashboards.MetricNames("sum by (tool, http_route) (rate(soma_tool_calls_total{outcome=\"denied\",instance=~\"$instance\"}[$__rate_interval]) * on (job, instance) group_left (node) soma_node_info)"));
    }

    [Fact]
    public async Task Every_metric_a_dashboard_or_rule_reads_is_exported_by_a_running_server_after_a_turn()
    {
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--demo", "--data", Path.Combine(_work.FullName, "data"), "--urls", $"http://127.0.0.1:{port}"]);
        var token = (await soma.WaitForOutputAsync("Authorization: Bearer", Patience)).Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("eyJ", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        // One chat turn with the scripted dev model: after it, the turn histograms hold exactly that turn.
        var session = await CreateSessionAsync(http);
        await TurnAsync(http, session, "hello, metrics", soma);
        // The run's end commits after the answer the client sees: wait for it before reading the turn's series.
        var metrics = await ScrapeAsync(http, text => text.Contains("soma_turn_duration_milliseconds_count", StringComparison.Ordinal));
        Assert.Equal(1, Sample(metrics, "soma_turn_time_to_first_delta_milliseconds_count"));
        Assert.Equal(1, Sample(metrics, "soma_turn_time_to_first_delta_milliseconds_bucket", "le=\"+Inf\""));
        Assert.True(Sample(metrics, "soma_turn_time_to_first_delta_milliseconds_sum") > 0, "the first delta took no time at all");
        // The SLO reads le="2000": the bucket must exist with that exact label value.
        Assert.Contains("soma_turn_time_to_first_delta_milliseconds_bucket{otel_scope_name=\"Soma.Agents\",le=\"2000\"}", metrics, StringComparison.Ordinal);
        Assert.Equal(1, Sample(metrics, "soma_turn_duration_milliseconds_count", "outcome=\"succeeded\""));
        Assert.True(Sample(metrics, "soma_turn_duration_milliseconds_sum") >= Sample(metrics, "soma_turn_time_to_first_delta_milliseconds_sum"), "a turn ended before its first delta");
        Assert.Equal(1, Sample(metrics, "soma_run_started_total", "workflow=\"chat.turn\""));
        Assert.Equal(1, Sample(metrics, "soma_run_completed_total", "outcome=\"succeeded\"", "workflow=\"chat.turn\""));
        Assert.Equal(1, Sample(metrics, "soma_step_duration_milliseconds_count", "outcome=\"succeeded\"", "step=\"model\"", "workflow=\"chat.turn\""));
        Assert.Equal(1, Sample(metrics, "soma_model_calls_total", "model=\"demo\"", "outcome=\"ok\""));
        Assert.Equal(1, Sample(metrics, "soma_model_duration_milliseconds_count", "model=\"demo\"", "outcome=\"ok\""));
        Assert.Contains("soma_model_breaker_state{otel_scope_name=\"Soma.Agents\",model=\"demo\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("soma_node_info{otel_scope_name=\"Soma.Node\",node=\"" + Environment.MachineName + "\",roles=\"gateway,relay,sync,worker\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/v1/sessions/{id:guid}/messages\"", metrics, StringComparison.Ordinal);

        // A second turn that calls a tool, so tool and policy series exist too; then wait for the relay to publish.
        await TurnAsync(http, session, "[[tool:time.now]]", soma);
        metrics = await ScrapeAsync(http, text => text.Contains("soma_tool_calls_total", StringComparison.Ordinal) && text.Contains("soma_events_published_total", StringComparison.Ordinal));
        var exported = Dashboards.ExportedFamilies(metrics);
        var registry = Dashboards.RegistryFamilies();

        // Every soma_* family the server exports is an instrument of the registry, named as the registry says.
        foreach (var family in exported.Where(f => f.StartsWith("soma_", StringComparison.Ordinal)))
        {
            Assert.True(registry.ContainsKey(family), $"/metrics exports {family}, which is not the Prometheus name of any instrument in SomaMeters");
        }

        var records = Dashboards.RecordingRules();
        var used = Dashboards.Expressions().Select(e => (Where: $"{e.File} '{e.Panel}'", e.Expr))
            .Concat(Dashboards.RuleExpressions().Select(e => (Where: "soma-rules.yml", Expr: e)))
            .SelectMany(e => Dashboards.MetricNames(e.Expr).Select(n => (e.Where, Name: n)))
            .ToList();
        Assert.True(used.Count > 50, $"only {used.Count} metric uses found");
        var problems = new List<string>();
        foreach (var (where, name) in used)
        {
            if (name.Contains(':', StringComparison.Ordinal))
            {
                if (!records.Contains(name))
                {
                    problems.Add($"{where}: {name} is not a recording rule of soma-rules.yml");
                }

                continue;
            }

            var family = Dashboards.Family(name);
            if (exported.Contains(family))
            {
                continue;
            }

            // Not seen in this run (no sandboxed run, no rejected event happened): it must still be a registry instrument's
            // exported name; the loop above proves the registry names what the exporter exports.
            if (!registry.TryGetValue(family, out var instrument) || (name != family && instrument.Kind != Core.Telemetry.SomaInstrumentKind.Histogram))
            {
                problems.Add($"{where}: {name} is neither exported by soma serve nor the Prometheus name of an instrument in SomaMeters");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems.Distinct()));

        // The ones a turn produces are checked against the real exposition, not only against the registry.
        foreach (var family in (string[])["soma_turn_time_to_first_delta_milliseconds", "soma_turn_duration_milliseconds", "soma_model_calls_total", "soma_model_duration_milliseconds",
                     "soma_run_started_total", "soma_run_completed_total", "soma_step_duration_milliseconds", "soma_events_published_total", "soma_outbox_relayed_total",
                     "soma_tool_calls_total", "soma_policy_decisions_total", "soma_memory_mode", "http_server_request_duration_seconds", "soma_node_info"])
        {
            Assert.True(exported.Contains(family), $"{family} is not exported after two turns:\n{metrics}");
            Assert.Contains(used, u => Dashboards.Family(u.Name) == family);
        }

        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    private static async Task<Guid> CreateSessionAsync(HttpClient http)
    {
        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "metrics" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task TurnAsync(HttpClient http, Guid session, string content, SomaProcess soma)
    {
        var posted = await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content });
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var reply = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply_id").GetGuid();
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/messages");
            if (page.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("id").GetGuid() == reply))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"no answer to '{content}' within {Patience.TotalSeconds:0} s.\nstdout:\n{soma.Stdout}\nstderr:\n{soma.Stderr}");
    }

    private static async Task<string> ScrapeAsync(HttpClient http, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var response = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            if (done(text) || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await Task.Delay(250);
        }
    }

    // The value of the first sample of name whose labels contain every one of labels (0 when there is none).
    private static double Sample(string exposition, string name, params string[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                var brace = line.IndexOf('}', StringComparison.Ordinal);
                var labelText = brace < 0 ? string.Empty : line[..brace];
                if (labels.All(l => labelText.Contains(l, StringComparison.Ordinal)))
                {
                    return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }

        return 0;
    }
}
