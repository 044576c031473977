using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Contracts.Schemas;

namespace Soma.Contracts.Tests;

/// <summary>Code and contract cannot drift: every C# event record, serialized, validates against its schema.</summary>
public sealed class EventRecordTests
{
    private static readonly EventValidator Validator = new(SchemaRegistry.Default);
    private static readonly WorkflowRef Workflow = new("demo.pipeline", 3);
    private static readonly EventError Error = new("timeout", "no answer within 10 s", Retryable: true);
    private static readonly MachineInfo Machine = new("Debian GNU/Linux 12", "Xeon", 2, ".NET 10.0", 24);
    private static readonly JsonElement Object = JsonDocument.Parse("""{"query":"durable agents","limit":3}""").RootElement;

    private static readonly Dictionary<Type, Func<EventContext, JsonElement>> Samples = new[]
    {
        Sample(new RunAccepted(0, Workflow)),
        Sample(new RunStarted(1, Workflow, "worker-1")),
        Sample(new RunCheckpointed(2, Workflow, 1, 1)),
        Sample(new RunWaiting(3, Workflow, 2, "approval")),
        Sample(new RunResumed(4, Workflow, 2, ResumedFrom.Waiting)),
        Sample(new RunSucceeded(9, Workflow, 8, 812.5, Object)),
        Sample(new RunFailed(6, Workflow, 99, Error, 4)),
        Sample(new RunCancelled(5, Workflow, "by user")),
        Sample(new StepStarted("fetch", 1, 0, "Fetch", 0)),
        Sample(new StepSucceeded("fetch", 1, 1, 3.5, 120)),
        Sample(new StepFailed("charge", 5, 3, 10, Error)),
        Sample(new StepRetrying("tools[1]/call", 2, 4, 12, Error, new DateTimeOffset(2026, 11, 25, 9, 0, 1, 250, TimeSpan.Zero), 800, LoopIteration: 1)),
        Sample(new ToolRequested("call_1", "web.search", Object, "tools[0]/call")),
        Sample(new ToolAllowed("call_1", "web.search", "rev-1")),
        Sample(new ToolDenied("call_2", "shell.exec", "not allowed", "rev-1")),
        Sample(new ToolStarted("call_1", "web.search", Sandbox.Bubblewrap)),
        Sample(new ToolOutput("call_1", "web.search", "chunk", 0, 5, "2ab7c3b7e1e2d2c3f39b5c8d7b3a4f0d6e1c9a8b7f6e5d4c3b2a19080706a5b4", Truncated: true)),
        Sample(new ToolOutputDelta("call_1", "web.search", 0, "chu")),
        Sample(new ToolSucceeded("call_1", "web.search", 40.2, Sandbox.Gvisor, 2048)),
        Sample(new ToolFailed("call_3", "http.get", 10000, Error, Sandbox.None)),
        Sample(new AuditDecisionMade("user:alice", "tool.call", "tool/web.search", AuditDecision.Allow, "rev-1", "analysts may search", Object)),
        Sample(new AuditActionTaken("user:alice", "session.delete", "session/1", AuditDecision.None)),
        Sample(new UserMessage(Guid.CreateVersion7(), "hello")),
        Sample(new AssistantDelta(Guid.CreateVersion7(), "Hel", 0)),
        Sample(new AssistantFinal(Guid.CreateVersion7(), "Hello!", FinishReason.ToolCalls, "gpt-4o-mini", new TokenUsage(10, 2))),
        Sample(new ConversationError(Guid.CreateVersion7(), Error)),
        Sample(new MemoryRemembered("session/1/msg/2", RememberOutcome.Queued, Error: Error)),
        Sample(new MemoryLinked("msg/2", "msg/1", "replied_to", LinkOutcome.Linked)),
        Sample(new MemoryRecalled(RecallOutcome.Hit, 3, CacheOutcome.Hit, 0.4, Matches: new RecallMatches(1, 1, 1))),
        Sample(new BenchmarkResult("outbox.sqlite.full", "rows_per_second", 15000, "rows/s", Machine, 21000, 0.71)),
    }.ToDictionary(s => s.Type, s => s.Serialize);

    public static TheoryData<string> EventRecordTypes() =>
        [.. typeof(IEventData).Assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract && typeof(IEventData).IsAssignableFrom(t)).Select(t => t.FullName!).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(EventRecordTypes))]
    public void Every_event_record_serializes_to_an_event_its_schema_accepts(string typeName)
    {
        var type = typeof(IEventData).Assembly.GetType(typeName)!;
        Assert.True(Samples.TryGetValue(type, out var serialize), $"{typeName} has no sample in this test: add one so it is checked against its schema");
        var context = new EventContext("acme", "soma/tests", "req-1", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
        {
            ParentSpanId = "a3ce929d0e0e4736",
            SessionId = Guid.CreateVersion7(),
            RunId = Guid.CreateVersion7(),
        };
        var json = serialize(context);
        var result = Validator.Validate(json);
        Assert.True(result.IsValid, $"{json}\n" + string.Join("\n", result.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.Equal((string)type.GetProperty(nameof(IEventData.SchemaName))!.GetValue(null)!, result.Schema);
    }

    [Fact]
    public void Every_event_type_in_the_schemas_has_a_record()
    {
        var recorded = typeof(IEventData).Assembly.GetTypes()
            .Where(t => t.IsClass && typeof(IEventData).IsAssignableFrom(t))
            .Select(t => ((string)t.GetProperty(nameof(IEventData.SchemaName))!.GetValue(null)!, (string)t.GetProperty(nameof(IEventData.EventType))!.GetValue(null)!))
            .ToHashSet();
        foreach (var file in Directory.GetFiles(Repository.Schemas, "*.json"))
        {
            using var schema = JsonDocument.Parse(File.ReadAllText(file));
            if (schema.RootElement.TryGetProperty("properties", out var properties) && properties.TryGetProperty("type", out var type)
                && type.TryGetProperty("enum", out var types))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                Assert.All(types.EnumerateArray(), t => Assert.Contains((name, t.GetString()!), recorded));
            }
        }
    }

    [Fact]
    public void An_event_round_trips_through_its_wire_json()
    {
        var context = EventContext.FromActivity(null, "acme", "soma/tests", "req-1");
        var sent = context.Create(new StepRetrying("charge", 2, 4, 12.5, Error, new DateTimeOffset(2026, 11, 25, 9, 0, 1, TimeSpan.Zero)), new UuidV7Generator(TimeProvider.System), TimeProvider.System, "run-1/charge");
        var json = EventJson.Serialize(sent);
        var received = EventJson.Deserialize<StepRetrying>(json);
        Assert.Equal(sent.Id, received.Id);
        Assert.Equal(sent.Data, received.Data);
        Assert.Equal(sent.Time, received.Time);
        Assert.Equal("run-1/charge", received.IdempotencyKey);
        Assert.Contains("\"type\":\"step.retrying\"", json, StringComparison.Ordinal);
        Assert.Contains("\"next_attempt_at\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
        Assert.True(Validator.Validate(JsonDocument.Parse(json).RootElement).IsValid);
    }

    private static (Type Type, Func<EventContext, JsonElement> Serialize) Sample<T>(T data)
        where T : IEventData =>
        (typeof(T), context => EventJson.SerializeToElement(context.Create(data, new UuidV7Generator(TimeProvider.System), TimeProvider.System)));
}
