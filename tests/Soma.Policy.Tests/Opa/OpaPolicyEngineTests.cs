using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Policy;
using Soma.Policy.Opa;
using Soma.Testing;

namespace Soma.Policy.Tests.Opa;

public sealed class OpaPolicyEngineTests
{
    private const string SecretArgument = "top-secret-argument";
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 16, 20, 34, 500, TimeSpan.Zero);

    private static PolicyInput Input(string query = PolicyQueries.ToolDecision)
    {
        using var arguments = JsonDocument.Parse($$"""{"path": "{{SecretArgument}}", "lines": [1, 2]}""");
        return new PolicyInput("acme", "user-7", ["dev"], new PolicyToolInput("read_file", arguments.RootElement.Clone(), "medium", Sandbox: true), "ses-1", "run-2", "tools", Now)
        {
            Query = query,
        };
    }

    // Generous by default: the machine is shared and loaded, and only the timeout tests are about the timeout.
    private static OpaPolicyEngine Engine(OpaStandIn opa, Action<OpaOptions>? configure = null, ILogger<OpaPolicyEngine>? logger = null, TimeProvider? time = null)
    {
        var options = new OpaOptions { Url = opa.BaseAddress, TimeoutMilliseconds = 10_000 };
        configure?.Invoke(options);
        return new OpaPolicyEngine(options, logger, time);
    }

    private static JsonObject Decision(bool allow, params string[] reasons) =>
        new() { ["allow"] = allow, ["reasons"] = new JsonArray([.. reasons.Select(r => (JsonNode)r)]) };

    [Fact]
    public async Task An_allow_carries_the_policy_reasons_and_obligations()
    {
        await using var opa = await OpaStandIn.StartAsync((path, input) =>
            path == "soma/tools/decision" && input?["roles"]?[0]?.GetValue<string>() == "dev"
                ? new JsonObject { ["allow"] = true, ["reasons"] = new JsonArray("devs may read files"), ["sandbox"] = true }
                : null);
        using var engine = Engine(opa);

        var decision = await engine.DecideAsync(Input());

        Assert.True(decision.Allow);
        Assert.Equal(["devs may read files"], decision.Reasons);
        Assert.Equal("""{"sandbox":true}""", JsonSerializer.Serialize(decision.Obligations));
        Assert.Equal(("opa", "opa"), (decision.Engine, decision.PolicyVersion));
        Assert.True(decision.Duration > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_deny_carries_the_policy_reasons()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(false, "read_file is not for devs", "risk too high"));
        using var engine = Engine(opa);

        var decision = await engine.DecideAsync(Input());

        Assert.False(decision.Allow);
        Assert.Equal(["read_file is not for devs", "risk too high"], decision.Reasons);
        Assert.Null(decision.Obligations);
    }

    [Fact]
    public async Task The_request_posts_the_input_document_to_the_query_path()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        using var engine = Engine(opa);

        await engine.DecideAsync(Input());
        await engine.DecideAsync(Input("data.acme.rules.allow_shell"));

        var requests = opa.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Equal(("POST", "/v1/data/soma/tools/decision", "?provenance=true"), (requests[0].Method, requests[0].Path, requests[0].QueryString));
        Assert.Equal("application/json", requests[0].Header("Content-Type"));
        Assert.Equal(
            """{"input":{"tenant":"acme","subject":"user-7","roles":["dev"],"tool":{"name":"read_file","arguments":{"path":"top-secret-argument","lines":[1,2]},"risk":"medium","sandbox":true},"session":"ses-1","run":"run-2","step":"tools","now":"2026-12-02T16:20:34.5Z"}}""",
            requests[0].Body);
        Assert.Equal("/v1/data/acme/rules/allow_shell", requests[1].Path);
        Assert.Null(requests[0].Header("Authorization"));
    }

    [Theory]
    [InlineData("soma.tools.decision")]
    [InlineData("data.")]
    [InlineData("data..decision")]
    [InlineData("")]
    public async Task A_query_that_is_not_a_data_path_is_denied_without_calling(string query)
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, logger: logs);

        var decision = await engine.DecideAsync(Input(query));

        Assert.Equal((false, PolicyReasons.Error), (decision.Allow, Assert.Single(decision.Reasons)));
        Assert.Empty(opa.Requests);
        Assert.Equal([8011], logs.EventIds);
    }

    [Theory]
    [InlineData("server_error", PolicyReasons.Error, 8002)]
    [InlineData("unauthorized", PolicyReasons.Error, 8002)]
    [InlineData("cut", PolicyReasons.Error, 8003)]
    [InlineData("stopped", PolicyReasons.Error, 8003)]
    [InlineData("slow", PolicyReasons.Timeout, 8001)]
    [InlineData("undefined", PolicyReasons.Undefined, 8006)]
    [InlineData("no_rule", PolicyReasons.Undefined, 8006)]
    [InlineData("malformed_json", PolicyReasons.Malformed, 8004)]
    [InlineData("malformed_decision", PolicyReasons.Malformed, 8005)]
    public async Task Each_failure_is_a_deny_with_its_reason_and_never_an_exception(string failure, string reason, int eventId)
    {
        await using var opa = await OpaStandIn.StartAsync(
            (_, input) => failure == "no_rule" ? null : failure == "malformed_decision" ? new JsonObject { ["allow"] = "yes" } : Decision(true),
            token: failure == "unauthorized" ? "the-right-token" : null);
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, o => o.TimeoutMilliseconds = failure == "slow" ? 200 : 10_000, logs);
        switch (failure)
        {
            case "server_error":
                opa.Fault = OpaFault.ServerError;
                break;
            case "cut":
                opa.Fault = OpaFault.Cut;
                break;
            case "undefined":
                opa.Fault = OpaFault.Undefined;
                break;
            case "malformed_json":
                opa.Fault = OpaFault.Malformed;
                break;
            case "slow":
                opa.Delay = TimeSpan.FromSeconds(60);
                break;
            case "stopped":
                await opa.StopListeningAsync();
                break;
        }

        var decision = await engine.DecideAsync(Input());

        Assert.False(decision.Allow);
        Assert.Equal([reason], decision.Reasons);
        Assert.Equal("opa", decision.Engine);
        Assert.True(decision.Duration > TimeSpan.Zero);
        Assert.Equal([eventId], logs.EventIds);
    }

    [Fact]
    public async Task A_url_whose_path_prefix_is_not_opa_is_an_error_logged_with_opas_code()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, o => o.Url = new Uri(opa.BaseAddress, "opa"), logs);

        var decision = await engine.DecideAsync(Input());

        Assert.Equal([PolicyReasons.Error], decision.Reasons);
        Assert.Equal("/opa/v1/data/soma/tools/decision", Assert.Single(opa.Requests).Path);
        Assert.Contains("HTTP 404 (resource_not_found)", Assert.Single(logs.Entries).Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"version": "1.4.0", "bundles": {"soma": {"revision": "rev-42"}}}""", "rev-42")]
    [InlineData("""{"version": "1.4.0", "bundles": {"tools": {"revision": "t9"}, "roles": {"revision": "r3"}}}""", "roles:r3,tools:t9")]
    [InlineData("""{"version": "1.4.0", "revision": "legacy-7"}""", "legacy-7")]
    [InlineData("""{"version": "1.4.0", "bundles": {"soma": {"revision": ""}}}""", "opa")]
    public async Task The_policy_version_is_the_bundle_revision_opa_reports(string provenance, string version)
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        opa.Provenance = JsonNode.Parse(provenance)!.AsObject();
        using var engine = Engine(opa);

        var decision = await engine.DecideAsync(Input());

        Assert.True(decision.Allow);
        Assert.Equal(version, decision.PolicyVersion);
    }

    [Fact]
    public async Task The_breaker_opens_after_failures_in_a_row_calls_nothing_while_open_and_closes_after_the_break()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        opa.Fault = OpaFault.ServerError;
        var time = new FakeTimeProvider(Now);
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, o => (o.BreakerFailures, o.BreakerBreakSeconds) = (3, 10), logs, time);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal([PolicyReasons.Error], (await engine.DecideAsync(Input())).Reasons);
        }

        // OPA is back, but the breaker cannot know that until the break is over.
        opa.Fault = OpaFault.None;
        var whileOpen = await engine.DecideAsync(Input());
        time.Advance(TimeSpan.FromSeconds(9));
        var stillOpen = await engine.DecideAsync(Input());

        Assert.Equal([PolicyReasons.Error], whileOpen.Reasons);
        Assert.Equal([PolicyReasons.Error], stillOpen.Reasons);
        Assert.Equal(3, opa.Requests.Count);
        Assert.Contains(8008, logs.EventIds);
        Assert.Equal(2, logs.EventIds.Count(id => id == 8007));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await engine.DecideAsync(Input())).Allow);
        Assert.True((await engine.DecideAsync(Input())).Allow);
        Assert.Equal(5, opa.Requests.Count);
        Assert.Contains(8010, logs.EventIds);
    }

    [Fact]
    public async Task Timeouts_count_towards_the_breaker()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        opa.Delay = TimeSpan.FromSeconds(60);
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, o => (o.TimeoutMilliseconds, o.BreakerFailures) = (100, 2), logs);

        var first = await engine.DecideAsync(Input());
        var second = await engine.DecideAsync(Input());
        var third = await engine.DecideAsync(Input());

        Assert.Equal([PolicyReasons.Timeout], first.Reasons);
        Assert.Equal([PolicyReasons.Timeout], second.Reasons);
        // Had OPA been called, the 60 s delay would have made this a timeout too.
        Assert.Equal([PolicyReasons.Error], third.Reasons);
        // The breaker opens inside the second call, before that call logs its timeout.
        Assert.Equal([8001, 8008, 8001, 8007], logs.EventIds);
    }

    [Fact]
    public async Task A_caller_cancellation_propagates_and_never_counts_towards_the_breaker()
    {
        await using var opa = await OpaStandIn.StartAsync((_, _) => Decision(true));
        opa.Delay = TimeSpan.FromSeconds(60);
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, o => o.BreakerFailures = 2, logs);

        for (var i = 0; i < 3; i++)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await engine.DecideAsync(Input(), cancel.Token));
        }

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await engine.DecideAsync(Input(), cancelled.Token));

        opa.Delay = TimeSpan.Zero;
        Assert.True((await engine.DecideAsync(Input())).Allow);
        Assert.Empty(logs.EventIds);
    }

    [Fact]
    public async Task The_token_is_sent_as_a_bearer_and_never_logged_nor_the_arguments()
    {
        const string Token = "s3cret-opa-token";
        await using var opa = await OpaStandIn.StartAsync(
            (_, input) => new JsonObject { ["allow"] = "not a boolean", ["echo"] = input?["tool"]?["arguments"]?.DeepClone() },
            token: Token);
        var logs = new ListLogger<OpaPolicyEngine>();
        using var engine = Engine(opa, o => o.Token = Token, logs);
        using var wrongToken = Engine(opa, o => o.Token = "not-the-token", logs);

        var malformed = await engine.DecideAsync(Input());
        var unauthorized = await wrongToken.DecideAsync(Input());
        opa.Fault = OpaFault.ServerError;
        await engine.DecideAsync(Input());
        opa.Fault = OpaFault.Cut;
        await engine.DecideAsync(Input());
        await opa.StopListeningAsync();
        await engine.DecideAsync(Input());

        Assert.Equal($"Bearer {Token}", opa.Requests[0].Header("Authorization"));
        Assert.Equal([PolicyReasons.Malformed], malformed.Reasons);
        Assert.Equal([PolicyReasons.Error], unauthorized.Reasons);
        Assert.Equal([8005, 8002, 8002, 8003, 8003], logs.EventIds);
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretArgument, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("eval_conflict_error", logs.AllText, StringComparison.Ordinal);
    }
}
