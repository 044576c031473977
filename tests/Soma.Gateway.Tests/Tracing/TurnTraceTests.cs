using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Tracing;

/// <summary>
/// One chat turn is one trace: the POST's server span, the run and its steps, the model call (GenAI conventions), the
/// tool call and its policy decision, and the memory client's call, whose <c>traceparent</c> and <c>X-Request-ID</c> the
/// memory service (a SomaBrain stand-in) receives. Spans are read with OpenTelemetry's in-memory exporter.
/// </summary>
public sealed class TurnTraceTests : IAsyncLifetime
{
    private readonly ExportedSpans _exported = new();
    private DevModelServer _model = null!;
    private SomaBrainStandIn _memory = null!;
    private PolicyFolder _policy = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        _memory = await SomaBrainStandIn.StartAsync();
        _policy = PolicyFolder.Create("version: 1\ndefault_roles: [user]\nroles:\n  user: {tools: [\"time.now\"]}\n");
        var configuration = Model("dev", _model, ConversationFixture.ModelId);
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        configuration["Soma:Policy:Directory"] = _policy.Path;
        configuration["Soma:Memory:Client:BaseUrl"] = _memory.BaseAddress.ToString();
        configuration["Soma:Memory:Client:ApiKey"] = _memory.Token;
        _server = await RunningServer.StartAsync(configuration, services: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_exported)));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _memory.DisposeAsync();
        await _model.DisposeAsync();
        _policy.Dispose();
    }

    [Fact]
    public async Task A_turn_that_calls_a_tool_is_one_trace_from_the_post_to_the_model_the_tool_the_policy_and_memory()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant);
        var session = await CreateSessionAsync(client);
        _model.Enqueue(ScriptedResponse.Tools(new ScriptedToolCall("call_time", "time__now", "{}")), ConversationFixture.ModelId);

        // The caller's own trace: the turn joins it.
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{session}/messages")
        {
            Content = new StringContent(Body("what time is it?"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var sent = Accepted(await response.Content.ReadAsStringAsync());
        Assert.Equal("succeeded", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());

        var run = await EventuallyAsync(
            () => Task.FromResult(Spans.FirstOrDefault(s => s.DisplayName.StartsWith("run ", StringComparison.Ordinal) && Equals(s.GetTagItem("soma.run_id"), sent.RunId))),
            s => s is not null, "the run's span to end")!;
        var trace = Spans.Where(s => s.TraceId == traceId).ToList();

        var post = Assert.Single(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "POST /v1/sessions/{id:guid}/messages");
        Assert.Equal(traceId, run!.TraceId);
        Assert.Equal(post.SpanId, run.ParentSpanId);
        Assert.Contains(trace, s => s.DisplayName.StartsWith("step ", StringComparison.Ordinal) && s.ParentSpanId == run.SpanId);

        // The relay publishes the user's message event in the trace of the POST that wrote it.
        await EventuallyAsync(
            () => Task.FromResult(Spans.Any(s => s.Source.Name == "Soma.Messaging" && s.TraceId == traceId && s.ParentSpanId == post.SpanId && s.DisplayName == "publish conversation.v1")),
            found => found, "the relay's publish span of the user's message");

        var models = trace.Where(s => s.Source.Name == "Soma.Agents").ToList();
        Assert.Equal(2, models.Count);
        Assert.All(models, m =>
        {
            Assert.Equal(ActivityKind.Client, m.Kind);
            Assert.Equal("chat", m.GetTagItem("gen_ai.operation.name"));
            Assert.Equal(ConversationFixture.ModelId, m.GetTagItem("gen_ai.request.model"));
            Assert.True((long)m.GetTagItem("gen_ai.usage.input_tokens")! > 0);
        });
        Assert.Equal(["tool_calls", "stop"], models.OrderBy(m => m.StartTimeUtc).Select(m => Assert.Single((string[])m.GetTagItem("gen_ai.response.finish_reasons")!)));

        var tool = Assert.Single(trace, s => s.Source.Name == "Soma.Tools");
        Assert.Equal("time.now", tool.GetTagItem("gen_ai.tool.name"));
        Assert.Equal("succeeded", tool.GetTagItem("soma.tool.outcome"));
        Assert.NotNull(tool.GetTagItem("soma.tool.sandbox"));
        var policy = Assert.Single(trace, s => s.Source.Name == "Soma.Policy");
        Assert.Equal(tool.SpanId, policy.ParentSpanId);
        Assert.Equal("allow", policy.GetTagItem("soma.policy.decision"));
        Assert.Equal("rego", policy.GetTagItem("soma.policy.engine"));

        // The memory service got this trace's traceparent (the client span's) and the request id that span records.
        var recalls = trace.Where(s => s.Source.Name == "Soma.Memory").ToList();
        Assert.NotEmpty(recalls);
        var received = _memory.Requests.Where(r => r.Header("traceparent") is { } parent && parent.Contains(traceId.ToHexString(), StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(received);
        foreach (var span in recalls)
        {
            var match = Assert.Single(received, r => r.Header("traceparent") == span.Id);
            Assert.Equal(span.GetTagItem("soma.request_id"), match.Header("X-Request-ID"));
        }
    }

    [Fact]
    public async Task A_turn_without_a_caller_trace_starts_one_at_the_post_and_its_run_continues_it()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant);
        var session = await CreateSessionAsync(client);
        var sent = await SendAsync(client, session, "hello there");
        Assert.Equal("succeeded", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());

        var run = await EventuallyAsync(
            () => Task.FromResult(Spans.FirstOrDefault(s => s.DisplayName.StartsWith("run ", StringComparison.Ordinal) && Equals(s.GetTagItem("soma.run_id"), sent.RunId))),
            s => s is not null, "the run's span to end");
        var post = Assert.Single(Spans, s => s.SpanId == run!.ParentSpanId);
        Assert.Equal(ActivityKind.Server, post.Kind);
        Assert.Equal(default, post.ParentSpanId);
        Assert.Contains(Spans, s => s.TraceId == post.TraceId && s.Source.Name == "Soma.Agents");
    }

    private List<Activity> Spans => _exported.Snapshot();

    /// <summary>What the in-memory exporter wrote, readable while the server goes on exporting.</summary>
    private sealed class ExportedSpans : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];
        private readonly Lock _gate = new();

        public int Count { get { lock (_gate) { return _items.Count; } } }

        public bool IsReadOnly => false;

        public List<Activity> Snapshot() { lock (_gate) { return [.. _items]; } }

        public void Add(Activity item) { lock (_gate) { _items.Add(item); } }

        public void Clear() { lock (_gate) { _items.Clear(); } }

        public bool Contains(Activity item) { lock (_gate) { return _items.Contains(item); } }

        public void CopyTo(Activity[] array, int arrayIndex) { lock (_gate) { _items.CopyTo(array, arrayIndex); } }

        public bool Remove(Activity item) { lock (_gate) { return _items.Remove(item); } }

        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
