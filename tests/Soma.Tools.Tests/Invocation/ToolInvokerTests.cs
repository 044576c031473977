using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Contracts.Events;
using Soma.Core.Storage;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Invocation;

/// <summary>
/// The one way a tool runs, over a real SQLite store and the real embedded policy engine with the shipped policy: a
/// role's grants decide, a denied tool never runs, every decision is audited with the call's events in the caller's
/// transaction, and nothing a model sends (unknown names, bad JSON, slow tools) escapes as an exception.
/// </summary>
public sealed class ToolInvokerTests : IAsyncLifetime
{
    private const string Roles = """
        version: 1
        roles:
          user:
            tools: ["time.now", "test.*"]
          analyst:
            tools: ["math.evaluate"]
        tools:
          math.evaluate:
            arguments:
              expression: {max_length: 10}
        """;

    private readonly SlowTool _slow = new();
    private SqliteToolHost _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await SqliteToolHost.StartAsync(Roles, services => services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool>(_slow)));

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_granted_tool_runs_and_a_tool_no_role_grants_never_runs_and_tells_the_model_why()
    {
        var allowed = await InvokeAsync("test.slow", """{"ms":1}""", "user");
        Assert.True(allowed.Ran);
        Assert.Equal("waited 1 ms", allowed.Result.Output);
        Assert.Equal(1, _slow.Calls);

        var denied = await InvokeAsync("math.evaluate", """{"expression":"2+3"}""", "user");
        Assert.False(denied.Ran);
        Assert.Equal("tool.denied", denied.Result.ErrorCode);
        Assert.Equal("Denied: no role of the caller grants tool \"math.evaluate\" (roles: user)", denied.Result.Output);
        Assert.StartsWith("sha256:", denied.Decision.PolicyVersion, StringComparison.Ordinal);
        Assert.Equal("rego", denied.Decision.Engine);
    }

    [Fact]
    public async Task Argument_rules_from_roles_yaml_are_held()
    {
        Assert.True((await InvokeAsync("math.evaluate", """{"expression":"2+3"}""", "analyst")).Ran);
        var tooLong = await InvokeAsync("math.evaluate", """{"expression":"1+1+1+1+1+1+1"}""", "analyst");
        Assert.Equal("Denied: argument \"expression\" is longer than 10 characters", tooLong.Result.Output);
    }

    [Fact]
    public async Task Unknown_tools_bad_json_and_slow_tools_come_back_as_results()
    {
        var unknown = await InvokeAsync("no.such", "{}", "user");
        Assert.False(unknown.Ran);
        Assert.Equal("Denied: No tool is registered as 'no.such'.", unknown.Result.Output);

        var badJson = await InvokeAsync("test.slow", "{not json", "user");
        Assert.False(badJson.Ran);
        Assert.Equal("tool.invalid_arguments", badJson.Result.ErrorCode);
        Assert.Equal("The arguments must be a JSON object.", badJson.Result.Output);
        Assert.Equal(0, _slow.Calls);

        var slow = await InvokeAsync("test.slow", """{"ms":5000}""", "user", TimeSpan.FromMilliseconds(100));
        Assert.Equal("tool.timeout", slow.Result.ErrorCode);
    }

    [Fact]
    public async Task Recording_writes_the_events_and_an_audit_row_per_decision_in_the_callers_transaction()
    {
        var allowed = await InvokeAsync("time.now", "{}", "user");
        var denied = await InvokeAsync("math.evaluate", """{"expression":"2+3"}""", "user");
        await using (var transaction = await _host.Store.BeginAsync())
        {
            var sink = new RecordingSink(transaction);
            await _host.Invoker.RecordAsync(allowed, sink);
            await _host.Invoker.RecordAsync(denied, sink);
            Assert.Equal(
                ["ToolRequested", "AuditDecisionMade", "ToolAllowed", "ToolOutput", "ToolSucceeded", "ToolRequested", "AuditDecisionMade", "ToolDenied"],
                sink.Events.Select(e => e.GetType().Name));
            var decision = sink.Events.OfType<AuditDecisionMade>().Last();
            Assert.Equal(AuditDecision.Deny, decision.Decision);
            Assert.Equal("tool/math.evaluate", decision.Resource);
            Assert.Equal(denied.Decision.PolicyVersion, decision.PolicyRevision);
            await transaction.CommitAsync();
        }

        var rows = await _host.Audit.ListAsync("t-tools", new PageRequest(10), "tool.call");
        Assert.Equal(["deny", "allow"], rows.Items.Select(r => r.Decision));
        var row = rows.Items[0];
        Assert.Equal("user:alice", row.Actor);
        using var details = JsonDocument.Parse(row.Details!);
        Assert.Equal(denied.ArgumentsHash, details.RootElement.GetProperty("arguments_sha256").GetString());
        Assert.DoesNotContain("2+3", row.Details!, StringComparison.Ordinal);
        Assert.Equal(["user"], details.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task A_decision_given_again_from_the_policy_s_cache_says_so_in_its_audit_row()
    {
        // Two calls of one tool by the same roles (another call id, session and run): the policy read the same values.
        var first = await InvokeAsync("time.now", "{}", "user");
        var second = await InvokeAsync("time.now", "{}", "user");
        Assert.False(first.Decision.Cached);
        Assert.True(second.Decision.Cached);
        await using (var transaction = await _host.Store.BeginAsync())
        {
            var sink = new RecordingSink(transaction);
            await _host.Invoker.RecordAsync(first, sink);
            await _host.Invoker.RecordAsync(second, sink);
            Assert.Equal([false, true], sink.Events.OfType<AuditDecisionMade>().Select(e => e.Details!.Value.GetProperty("cached").GetBoolean()));
            await transaction.CommitAsync();
        }

        var rows = await _host.Audit.ListAsync("t-tools", new PageRequest(10), "tool.call");
        Assert.Equal([true, false], rows.Items.Select(r => JsonDocument.Parse(r.Details!).RootElement.GetProperty("cached").GetBoolean()));
        Assert.All(rows.Items, r => Assert.Equal("allow", r.Decision));
    }

    [Theory]
    [InlineData("time.now", """{"timezone":5}""", "/timezone", "should be")]
    [InlineData("time.now", """{"zone":"Europe/Paris"}""", "/zone", "zone")]
    [InlineData("test.slow", """{"ms":"soon"}""", "/ms", "integer")]
    [InlineData("session.search", """{"limit":3}""", "/query", "query")]
    [InlineData("session.search", """{"query":"x","limit":50}""", "/limit", "20")]
    [InlineData("math.evaluate", "[1,2]", "", "JSON object")]
    public async Task Arguments_that_do_not_suit_the_schema_never_reach_the_tool_and_the_error_names_the_field(string tool, string arguments, string pointer, string detail)
    {
        var invalid = await InvokeAsync(tool, arguments, "user");
        Assert.False(invalid.Ran);
        Assert.Equal("tool.invalid_arguments", invalid.Result.ErrorCode);
        if (pointer.Length > 0)
        {
            Assert.Contains($"{pointer}: ", invalid.Result.Output, StringComparison.Ordinal);
        }

        Assert.Contains(detail, invalid.Result.Output, StringComparison.Ordinal);
        Assert.Equal(0, _slow.Calls);
        Assert.Equal("schema", invalid.Decision.Engine);
        Assert.Equal("tool.invalid_arguments", invalid.Decision.Reasons[0]);
    }

    [Fact]
    public async Task Arguments_are_checked_before_the_policy_is_asked()
    {
        // The analyst holds no grant for time.now: a valid call is denied by the policy, an invalid one never gets that far.
        var valid = await InvokeAsync("time.now", "{}", "analyst");
        Assert.Equal("tool.denied", valid.Result.ErrorCode);
        Assert.Equal("rego", valid.Decision.Engine);

        var invalid = await InvokeAsync("time.now", """{"timezone":["Europe/Paris"]}""", "analyst");
        Assert.Equal("tool.invalid_arguments", invalid.Result.ErrorCode);
        Assert.Equal("schema", invalid.Decision.Engine);
        Assert.Equal("none", invalid.Decision.PolicyVersion);

        // And a valid call the policy allows still runs: null is how a model says "no time zone".
        var utc = await InvokeAsync("time.now", """{"timezone":null}""", "user");
        Assert.True(utc.Ran, utc.Result.Output);
        Assert.EndsWith("(UTC)", utc.Result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_with_invalid_arguments_is_recorded_as_requested_audited_with_the_schema_as_decider_and_failed()
    {
        var invalid = await InvokeAsync("time.now", """{"timezone":5}""", "user");
        await using (var transaction = await _host.Store.BeginAsync())
        {
            var sink = new RecordingSink(transaction);
            await _host.Invoker.RecordAsync(invalid, sink);
            Assert.Equal(["ToolRequested", "AuditDecisionMade", "ToolFailed"], sink.Events.Select(e => e.GetType().Name));
            var failed = sink.Events.OfType<ToolFailed>().Single();
            Assert.Equal("tool.invalid_arguments", failed.Error.Code);
            Assert.Contains("/timezone", failed.Error.Message, StringComparison.Ordinal);
            Assert.Equal(AuditDecision.Deny, sink.Events.OfType<AuditDecisionMade>().Single().Decision);
            await transaction.CommitAsync();
        }

        var row = Assert.Single((await _host.Audit.ListAsync("t-tools", new PageRequest(10), "tool.call")).Items);
        Assert.Equal("deny", row.Decision);
        Assert.StartsWith("tool.invalid_arguments; Invalid arguments: /timezone: ", row.Reason, StringComparison.Ordinal);
        using var details = JsonDocument.Parse(row.Details!);
        Assert.Equal("schema", details.RootElement.GetProperty("engine").GetString());
    }

    [Fact]
    public async Task A_rolled_back_commit_leaves_no_audit_row()
    {
        var allowed = await InvokeAsync("time.now", "{}", "user");
        await using (var transaction = await _host.Store.BeginAsync())
        {
            await _host.Invoker.RecordAsync(allowed, new RecordingSink(transaction));
        }

        Assert.Empty((await _host.Audit.ListAsync("t-tools", new PageRequest(10), "tool.call")).Items);
    }

    private Task<ToolInvocation> InvokeAsync(string tool, string arguments, string role, TimeSpan? timeout = null) =>
        _host.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller("t-tools", "alice", [role]), $"call_{Guid.NewGuid():N}", tool, arguments, ToolCalls.Context(), "tools", timeout ?? TimeSpan.FromSeconds(10)));
}
