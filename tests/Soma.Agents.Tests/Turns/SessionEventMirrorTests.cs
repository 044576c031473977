using Microsoft.Extensions.Time.Testing;
using Soma.Agents.Turns;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Limits;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Core.Streaming;
using Soma.Core.Turns;
using Soma.Testing;
using Soma.Testing.Engines;

namespace Soma.Agents.Tests.Turns;

/// <summary>The session mirror of <c>chat.turn</c> runs on a real SQLite store: what a session's watchers see of a turn.</summary>
public sealed class SessionEventMirrorTests : IAsyncLifetime
{
    private const string Tenant = "acme";

    private static readonly WorkflowRef Turn = new(ChatTurnWorkflow.Name, 1);

    private readonly TempDirectory _directory = new("soma-agents-mirror");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private readonly InProcessSessionStream _stream = new();
    private readonly ActiveTurnCounter _turns = new();
    private readonly Guid _sessionId;
    private readonly Guid _replyId;
    private readonly IIdGenerator _ids;
    private StorePorts _ports = null!;
    private IStore _store = null!;
    private ISessionStore _sessions = null!;
    private IOutbox _outbox = null!;
    private SessionEventMirror _mirror = null!;

    public SessionEventMirrorTests()
    {
        _ids = new UuidV7Generator(_time);
        _sessionId = _ids.NewId();
        _replyId = _ids.NewId();
    }

    private SessionKey Key => new(Tenant, _sessionId);

    public async ValueTask InitializeAsync()
    {
        _ports = SqliteEngine.Open(Path.Combine(_directory.Path, "soma.db"), _time);
        (_store, _sessions, _outbox) = (_ports.Store, _ports.Sessions, _ports.Outbox);
        await _store.MigrateAsync();
        _mirror = new SessionEventMirror(_sessions, _outbox, _stream, _turns, _ids, _time);
        await using var transaction = await _store.BeginAsync();
        await _sessions.CreateAsync(transaction, new Session(_sessionId, Tenant, "Trip to Lyon", null, _time.GetUtcNow(), _time.GetUtcNow()));
        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _ports.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_turns_step_event_enters_its_sessions_log_with_the_commit_and_only_then_wakes_its_watchers()
    {
        var run = Run();
        using var watcher = await _stream.SubscribeAsync(Key);
        var (id, payload) = Event(run, new StepSucceeded("model", 1, 2, 850));

        await using (var transaction = await _store.BeginAsync())
        {
            await _mirror.OnEventAsync(transaction, run, id, StepSucceeded.EventType, payload, default);
            Assert.False(watcher.Items.TryRead(out _), "Watchers were woken before the event was committed.");
            await transaction.CommitAsync();
        }

        var logged = Assert.Single(await LogAsync());
        Assert.Equal((1L, id, "step.succeeded", payload), (logged.Sequence, logged.EventId, logged.Type, logged.Payload));
        Assert.True(watcher.Items.TryRead(out var wake));
        Assert.Equal(SessionStreamItemKind.Durable, wake.Kind);
    }

    [Fact]
    public async Task A_rolled_back_step_leaves_the_sessions_log_and_its_watchers_untouched()
    {
        var run = Run();
        using var watcher = await _stream.SubscribeAsync(Key);
        var (id, payload) = Event(run, new StepSucceeded("model", 1, 2, 850));

        await using (var transaction = await _store.BeginAsync())
        {
            await _mirror.OnEventAsync(transaction, run, id, StepSucceeded.EventType, payload, default);
        }

        Assert.Empty(await LogAsync());
        Assert.False(watcher.Items.TryRead(out _));
    }

    [Fact]
    public async Task Other_workflows_and_the_runs_acceptance_and_checkpoints_stay_out_of_the_session()
    {
        var turn = Run();
        var other = Run() with { Workflow = "order.fulfil" };

        await using (var transaction = await _store.BeginAsync())
        {
            await _mirror.OnEventAsync(transaction, other, _ids.NewId(), StepSucceeded.EventType, "{}", default);
            await _mirror.OnEventAsync(transaction, turn, _ids.NewId(), "run.accepted", "{}", default);
            await _mirror.OnEventAsync(transaction, turn, _ids.NewId(), "run.checkpointed", "{}", default);
            await transaction.CommitAsync();
        }

        Assert.Empty(await LogAsync());
    }

    [Theory]
    [InlineData("model.unavailable", "No model could answer: primary: HTTP 503.", true)]
    [InlineData("model.rejected", "Model 'primary' refused the call (HTTP 401): check its Endpoint, Model and ApiKey.", false)]
    [InlineData("model.not_configured", "No model is configured.", false)]
    public async Task A_failed_turn_tells_the_user_why_under_the_reply_and_whether_trying_again_can_help(string code, string message, bool retryable)
    {
        var run = Run();
        var (id, payload) = Event(run, new RunFailed(7, Turn, 1500, new EventError(code, message, true)));

        await CommitAsync(run, id, RunFailed.EventType, payload);

        var log = await LogAsync();
        Assert.Equal(["run.failed", "conversation.error"], log.Select(e => e.Type));
        var error = EventJson.Deserialize<ConversationError>(log[1].Payload);
        Assert.Equal(new ConversationError(_replyId, new EventError(code, message, retryable)), error.Data);
        Assert.Equal(_sessionId, error.SessionId);
        Assert.Equal(run.Id, error.RunId);
        var published = (await _outbox.GetAsync(Tenant, log[1].EventId))!.Message;
        Assert.Equal((log[1].Payload, _sessionId.ToString()), (published.Payload, published.PartitionKey));
        Assert.False(published.InPartitionLog, "the session's log keeps the event; it is not listed by partition");
    }

    [Fact]
    public async Task A_failure_without_an_error_still_tells_the_user_that_the_turn_failed()
    {
        var run = Run();

        await CommitAsync(run, _ids.NewId(), RunFailed.EventType, """{"type":"run.failed","data":{}}""");

        var error = EventJson.Deserialize<ConversationError>((await LogAsync())[1].Payload);
        Assert.Equal(new EventError("turn.failed", "The turn failed.", true), error.Data.Error);
    }

    [Theory]
    [InlineData("run.succeeded")]
    [InlineData("run.failed")]
    [InlineData("run.cancelled")]
    public async Task A_turn_that_ends_gives_its_slot_back_and_closes_its_live_answer_and_tool_outputs_once_committed(string eventType)
    {
        var run = Run();
        Assert.True(_turns.TryAcquire(Tenant, 1));
        _stream.StartAnswer(Key, run.Id, _replyId, "Paris is");
        _stream.StartToolOutput(Key, run.Id, "call_1", "shell.run");

        await using (var transaction = await _store.BeginAsync())
        {
            await _mirror.OnEventAsync(transaction, run, _ids.NewId(), eventType, """{"data":{}}""", default);
            Assert.Equal(1, _turns.Count(Tenant));
            await transaction.CommitAsync();
        }

        Assert.Equal(0, _turns.Count(Tenant));
        using var late = await _stream.SubscribeAsync(Key);
        Assert.Empty(late.Answers);
        Assert.Empty(late.ToolOutputs);
    }

    [Fact]
    public async Task A_turn_whose_session_was_deleted_meanwhile_still_gives_its_slot_back_when_it_ends()
    {
        var run = Run();
        Assert.True(_turns.TryAcquire(Tenant, 1));
        _stream.StartAnswer(Key, run.Id, _replyId, "Paris is");
        await using (var transaction = await _store.BeginAsync())
        {
            Assert.True(await _sessions.DeleteAsync(transaction, Tenant, _sessionId));
            await transaction.CommitAsync();
        }

        var (id, payload) = Event(run, new RunSucceeded(9, Turn, 3, 2000));
        await CommitAsync(run, id, RunSucceeded.EventType, payload);

        Assert.Empty(await LogAsync());
        Assert.Equal(0, _turns.Count(Tenant));
        Assert.True(_turns.TryAcquire(Tenant, 1), "The tenant's next turn was refused: the deleted session's turn kept its slot.");
        using var late = await _stream.SubscribeAsync(Key);
        Assert.Empty(late.Answers);
    }

    private RunRecord Run()
    {
        var input = ChatTurn.ToInput(new TurnInput(_sessionId, _ids.NewId(), _replyId, Subject: "alice")).GetRawText();
        return new RunRecord(_ids.NewId(), Tenant, ChatTurnWorkflow.Name, 1, RunState.Running, 3, 1, input, _time.GetUtcNow(), _time.GetUtcNow());
    }

    private (Guid Id, string Payload) Event<TData>(RunRecord run, TData data)
        where TData : IEventData
    {
        var envelope = EventContext.FromActivity(null, Tenant, "soma/worker", run.Id.ToString()).Create(data, _ids, _time);
        return (envelope.Id, EventJson.Serialize(envelope));
    }

    private async Task CommitAsync(RunRecord run, Guid id, string eventType, string payload)
    {
        await using var transaction = await _store.BeginAsync();
        await _mirror.OnEventAsync(transaction, run, id, eventType, payload, default);
        await transaction.CommitAsync();
    }

    private Task<IReadOnlyList<SessionEvent>> LogAsync() => _sessions.ListEventsAsync(Tenant, _sessionId, 0, 100);
}
