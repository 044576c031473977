using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Soma.Agents.Memory;
using Soma.Agents.Models;
using Soma.Contracts.Events;
using Soma.Core.Storage;
using Soma.Core.Streaming;
using Soma.Core.Turns;
using Soma.Memory.WriteThrough;
using Soma.Orchestration.Workflows;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Agents.Turns;

/// <summary>
/// The agent turn as a workflow, <c>chat.turn</c>: <c>context</c> (recent history and recalled long-term memory) → a loop of <c>model</c> (streamed;
/// its output is the checkpoint) and <c>tools</c> (authorize, run, results back to the model), bounded by
/// <see cref="ChatTurnOptions.MaxToolRounds"/> → <c>answer</c>, which stores the final answer and its
/// <c>conversation.assistant_final</c> event in the same commit as the step.
/// </summary>
public sealed class ChatTurnWorkflow
{
    /// <summary>The workflow name.</summary>
    public const string Name = ChatTurn.Workflow;

    private readonly ISessionStore _sessions;
    private readonly IUsageLedger _usage;
    private readonly ISessionStream _stream;
    private readonly ModelRouter _models;
    private readonly ToolRegistry _tools;
    private readonly ToolInvoker _invoker;
    private readonly MemoryWriteThrough _memory;
    private readonly TurnMemory _turnMemory;
    private readonly ChatTurnOptions _options;
    private readonly TurnMetrics _metrics;
    private readonly TimeProvider _time;

    /// <summary>Builds the workflow over its services.</summary>
    public ChatTurnWorkflow(
        ISessionStore sessions, IUsageLedger usage, ISessionStream stream,
        ModelRouter models, ToolRegistry tools, ToolInvoker invoker, MemoryWriteThrough memory, TurnMemory turnMemory,
        IOptions<ChatTurnOptions> options, TurnMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _sessions = sessions;
        _usage = usage;
        _stream = stream;
        _models = models;
        _tools = tools;
        _invoker = invoker;
        _memory = memory;
        _turnMemory = turnMemory;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        var rounds = _options.MaxToolRounds + 1;
        Definition = WorkflowDefinition.Create(Name, 1)
            .WithInputSchema(ChatTurn.InputSchema)

            // Every step committed: a model call is slow and billed, and its text is already streamed, so a crash must
            // not run it again.
            .WithDurability(WorkflowDurability.PerStep)
            .Step("context", ContextAsync)
            .Loop(
                "rounds",
                rounds,
                loop => loop
                    .Step("model", ModelAsync, o => o.WithPolicy(new StepPolicy(_options.ModelAttempts)))
                    .Step("tools", ToolsAsync, o => o.After("model").When(c => HasToolCalls(c.Outputs, "model"))),
                c => HasToolCalls(c.Outputs, "model"),
                o => o.After("context"))
            .Step("answer", AnswerAsync, o => o.After("rounds"))
            .Build();
    }

    /// <summary>The definition to register with the orchestrator.</summary>
    public WorkflowDefinition Definition { get; }

    private static bool HasToolCalls(IReadOnlyDictionary<string, JsonElement> outputs, string step) =>
        outputs.TryGetValue(step, out var model) && model.ValueKind == JsonValueKind.Object
        && model.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0;

    private async ValueTask<StepOutcome> ContextAsync(StepContext context, CancellationToken cancellationToken)
    {
        var input = ChatTurn.ReadInput(context.Input);
        // Up to and including the message of this turn, however many messages arrived after it: later messages belong to
        // later turns (several turns of a session may run at once).
        var recent = await _sessions.ListMessagesUpToAsync(context.TenantId, input.SessionId, input.MessageId, _options.HistoryMessages + 10, cancellationToken).ConfigureAwait(false);
        var history = recent
            .Where(m => m.Role is "user" or "assistant")
            .TakeLast(_options.HistoryMessages)
            .Select(m => new TurnMessage(m.Role, m.Content))
            .ToList();
        var total = history.Sum(m => m.Content.Length);
        while (history.Count > 1 && total > _options.HistoryCharacters)
        {
            total -= history[0].Content.Length;
            history.RemoveAt(0);
        }

        // Long-term memory: recalled through the cache, never an error (a down service gives a degraded note instead).
        var inContext = recent.Select(m => m.Id.ToString()).ToHashSet(StringComparer.Ordinal);
        var query = recent.Count > 0 && recent[^1].Id == input.MessageId ? recent[^1].Content : string.Empty;
        var recall = await _turnMemory.RecallAsync(context.TenantId, query, inContext, cancellationToken).ConfigureAwait(false);
        var acceptedAt = recent.Count > 0 && recent[^1].Id == input.MessageId ? recent[^1].CreatedAt : (DateTimeOffset?)null;
        var output = StepOutcome.Succeeded(TurnJson.ToElement(new ContextOutput(history, recall?.Memories, acceptedAt)));
        return recall is null ? output : output.WithCommit(commit => commit.AppendEventAsync(recall.Event));
    }

    private async ValueTask<StepOutcome> ModelAsync(StepContext context, CancellationToken cancellationToken)
    {
        var input = ChatTurn.ReadInput(context.Input);
        var contextOutput = TurnJson.Read<ContextOutput>(context.Outputs["context"]);
        var history = contextOutput.Messages;
        ModelOutput? previous = null;
        ToolsOutput? previousTools = null;
        if (context.Outputs.TryGetValue("$previous", out var last))
        {
            previous = last.TryGetProperty("model", out var m) ? TurnJson.Read<ModelOutput>(m) : null;
            previousTools = last.TryGetProperty("tools", out var t) ? TurnJson.Read<ToolsOutput>(t) : null;
        }

        var transcript = new List<TurnMessage>(previous?.Transcript ?? []);
        if (previousTools is not null)
        {
            transcript.AddRange(previousTools.Results.Select(r => new TurnMessage("tool", r.Output, ToolCallId: r.ToolCallId)));
        }

        var messages = new List<ChatMessage> { new(ChatRole.System, _options.SystemPrompt) };
        if (contextOutput.Memories is { Count: > 0 } memories)
        {
            messages.Add(new ChatMessage(ChatRole.System, "Long-term memories that may be relevant (from earlier conversations; best match first):\n"
                + string.Join('\n', memories.Select(m => $"- ({m.Role}) {m.Text}"))));
        }

        messages.AddRange(history.Concat(transcript).Select(ToChatMessage));

        // The last round gets no tools, so the turn ends with an answer.
        var lastRound = context.LoopIteration >= _options.MaxToolRounds;
        IList<AITool> tools = lastRound
            ? []
            : [.. _tools.All.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(ToolNames.ToWire(t.Name), t.Description, t.ParametersSchema))];

        var key = new SessionKey(context.TenantId, input.SessionId);
        var baseText = previous?.AllText ?? string.Empty;
        var separated = baseText.Length == 0;
        _stream.StartAnswer(key, context.RunId, input.ReplyId, baseText);
        // The turn's first delta is the first text of the first round that has any (a retried attempt that already streamed counts again).
        var firstDeltaFrom = baseText.Length == 0 ? contextOutput.AcceptedAt : null;
        ModelCallResult result;
        try
        {
            result = await _models.CallAsync(messages, tools, piece =>
            {
                _stream.AppendAnswer(key, input.ReplyId, separated ? piece : "\n\n" + piece);
                if (firstDeltaFrom is { } accepted)
                {
                    _metrics.FirstDelta(_time.GetUtcNow() - accepted);
                    firstDeltaFrom = null;
                }

                separated = true;
                return ValueTask.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelCallException ex)
        {
            return StepOutcome.Fail(ex.Code, ex.Message, ex.Retryable);
        }

        var allText = baseText.Length > 0 && result.Text.Length > 0 ? baseText + "\n\n" + result.Text : baseText + result.Text;
        transcript.Add(new TurnMessage("assistant", result.Text, result.ToolCalls.Count > 0 ? result.ToolCalls : null));
        var output = new ModelOutput(
            result.Model, result.Text, allText, result.ToolCalls, result.FinishReason,
            (previous?.InputTokens ?? 0) + result.InputTokens, (previous?.OutputTokens ?? 0) + result.OutputTokens, transcript);
        var day = DateOnly.FromDateTime(context.Now.UtcDateTime);
        return StepOutcome.Succeeded(TurnJson.ToElement(output)).WithCommit(commit =>
            _usage.RecordAsync(commit.Transaction, new UsageRecord(context.TenantId, result.Model, day, result.InputTokens, result.OutputTokens), commit.CancellationToken));
    }

    private async ValueTask<StepOutcome> ToolsAsync(StepContext context, CancellationToken cancellationToken)
    {
        var input = ChatTurn.ReadInput(context.Input);
        var model = TurnJson.Read<ModelOutput>(context.Outputs["model"]);
        var toolContext = new ToolContext(context.TenantId, input.SessionId, context.RunId, context.Now);
        // Turns accepted before callers were recorded in the run input decide as an anonymous caller without roles.
        var caller = new ToolCaller(context.TenantId, input.Subject ?? string.Empty, input.Roles ?? []);
        var timeout = TimeSpan.FromSeconds(_options.ToolTimeoutSeconds);

        // Each call's output is live while it runs (a retried step starts it over) and ends with the step's commit, when
        // the durable tool.output replaces it, or with the step's failure.
        var key = new SessionKey(context.TenantId, input.SessionId);
        foreach (var call in model.ToolCalls)
        {
            _stream.StartToolOutput(key, context.RunId, call.Id, call.Tool);
        }

        ToolInvocation[] invocations;
        try
        {
            invocations = await Task.WhenAll(model.ToolCalls.Select(call => _invoker.InvokeAsync(
                new ToolCallRequest(
                    caller, call.Id, call.Tool, call.ArgumentsJson, toolContext with { Output = new LiveToolOutput(_stream, key, context.RunId, call.Id) },
                    context.StepId, timeout, input.ReplyId, context.LoopIteration),
                cancellationToken))).ConfigureAwait(false);
        }
        catch
        {
            _stream.EndToolOutputs(key, context.RunId);
            throw;
        }

        var results = invocations.Select(i => new ToolCallResult(i.Request.CallId, i.Request.Tool, i.Ran, i.Result.Output, i.Result.ErrorCode, i.DurationMs)).ToList();
        return StepOutcome.Succeeded(TurnJson.ToElement(new ToolsOutput(results))).WithCommit(async commit =>
        {
            var sink = new StepCommitToolSink(commit);
            foreach (var invocation in invocations)
            {
                await _invoker.RecordAsync(invocation, sink).ConfigureAwait(false);
            }

            commit.Transaction.OnCommitted(() => _stream.EndToolOutputs(key, context.RunId));
        });
    }

    private ValueTask<StepOutcome> AnswerAsync(StepContext context, CancellationToken cancellationToken)
    {
        var input = ChatTurn.ReadInput(context.Input);
        var model = TurnJson.Read<ModelOutput>(context.Outputs["rounds"].GetProperty("model"));
        var outOfRounds = model.ToolCalls.Count > 0;
        var content = model.AllText.Length > 0 || !outOfRounds ? model.AllText : "(The turn stopped: the limit of tool rounds was reached.)";
        var finish = outOfRounds ? FinishReason.ToolCalls : model.FinishReason switch
        {
            "length" => FinishReason.Length,
            "content_filter" => FinishReason.ContentFilter,
            _ => FinishReason.Stop,
        };
        var usage = new TokenUsage((int)Math.Min(model.InputTokens, int.MaxValue), (int)Math.Min(model.OutputTokens, int.MaxValue));
        var metadata = JsonSerializer.Serialize(new Dictionary<string, object> { ["run_id"] = context.RunId, ["model"] = model.Model });
        var key = new SessionKey(context.TenantId, input.SessionId);
        return ValueTask.FromResult(StepOutcome.Succeeded(TurnJson.ToElement(new AnswerOutput(input.ReplyId, model.Model, content.Length))).WithCommit(async commit =>
        {
            await _sessions.AppendMessageAsync(commit.Transaction, new SessionMessage(input.ReplyId, context.TenantId, input.SessionId, "assistant", content, metadata, context.Now), commit.CancellationToken).ConfigureAwait(false);
            await commit.AppendEventAsync(new AssistantFinal(input.ReplyId, content, finish, model.Model, usage)).ConfigureAwait(false);
            await _memory.RememberAnswerAsync(commit.Transaction, context.TenantId, input.SessionId, input.MessageId, input.ReplyId, content,
                new Dictionary<string, string> { ["run_id"] = context.RunId.ToString(), ["model"] = model.Model }, commit.CancellationToken).ConfigureAwait(false);
            commit.Transaction.OnCommitted(() => _stream.EndAnswer(key, input.ReplyId));
        }));
    }

    private static ChatMessage ToChatMessage(TurnMessage message) => message.Role switch
    {
        "assistant" when message.ToolCalls is { Count: > 0 } calls => new ChatMessage(ChatRole.Assistant, [
            .. string.IsNullOrEmpty(message.Content) ? Array.Empty<AIContent>() : [new TextContent(message.Content)],
            .. calls.Select(c => new FunctionCallContent(c.Id, ToolNames.ToWire(c.Tool), ParseArguments(c.ArgumentsJson)))]),
        "assistant" => new ChatMessage(ChatRole.Assistant, message.Content),
        "tool" => new ChatMessage(ChatRole.Tool, [new FunctionResultContent(message.ToolCallId!, message.Content)]),
        _ => new ChatMessage(ChatRole.User, message.Content),
    };

    private static Dictionary<string, object?> ParseArguments(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

}
