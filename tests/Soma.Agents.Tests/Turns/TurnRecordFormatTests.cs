using System.Text.Json;
using Soma.Agents.Memory;
using Soma.Agents.Models;
using Soma.Agents.Turns;

namespace Soma.Agents.Tests.Turns;

/// <summary>
/// Today's code reads the checkpoints of turns in flight: golden files of every step output <c>chat.turn</c> checkpoints
/// (context, model, tools, answer), read and written with the workflow's own <see cref="TurnJson"/>. A resumed turn reads
/// them back (the model step reads the context and the previous round, the tools step the model's calls, the answer the
/// last round), so a change of their JSON would fail turns that were in flight when the new version was deployed.
/// </summary>
public sealed class TurnRecordFormatTests
{
    private static readonly DateTimeOffset AcceptedAt = new(2026, 11, 25, 9, 0, 0, 125, TimeSpan.Zero);
    private static readonly Guid ReplyId = Guid.Parse("0192f0a4-1c2b-7d3e-8f40-5a6b7c8d9e02");

    private static readonly ModelToolCall Forecast = new("call_1", "weather.forecast", """{"city":"Lyon","days":7}""");
    private static readonly ModelToolCall Recall = new("call_2", "memory.recall", """{"query":"Lyon"}""");

    private static readonly ContextOutput Context = new(
        [
            new TurnMessage("user", "Hi, I'm planning a trip to Lyon."),
            new TurnMessage("assistant", "Lovely! When are you going?"),
            new TurnMessage("user", "Next week. What's the weather like?"),
        ],
        [
            new RecalledMemory("msg:0192f0a4-1c2b-7d3e-8f40-5a6b7c8d9e01", 0.8731, "user", "I prefer trains to planes.", "both"),
            new RecalledMemory("note:call_3", 0.5, "note", "Allergic to peanuts."),
        ],
        AcceptedAt);

    private static readonly ModelOutput Model = new(
        "primary",
        "Let me look that up.",
        "Checking the forecast.\n\nLet me look that up.",
        [Forecast, Recall],
        "tool_calls",
        1200,
        85,
        [
            new TurnMessage("assistant", "Checking the forecast.", [new ModelToolCall("call_0", "time.now", "{}")]),
            new TurnMessage("tool", "2026-11-25T10:00:00+01:00", ToolCallId: "call_0"),
            new TurnMessage("assistant", "Let me look that up.", [Forecast, Recall]),
        ]);

    private static readonly ToolsOutput Tools = new(
    [
        new ToolCallResult("call_1", "weather.forecast", true, "Sunny, 14 degrees.", null, 12.5),
        new ToolCallResult("call_2", "memory.recall", false, "The policy does not allow memory.recall.", "tool.denied", 0),
    ]);

    private static readonly AnswerOutput Answer = new(ReplyId, "secondary", 42);

    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Turns", "golden", name));

    private static T Read<T>(string name) => TurnJson.Read<T>(JsonElement.Parse(Golden(name)));

    [Fact]
    public void A_v1_context_output_reads_with_its_history_memories_and_acceptance_time()
    {
        var context = Read<ContextOutput>("v1-context.json");

        Assert.Equal(["user", "assistant", "user"], context.Messages.Select(m => m.Role));
        Assert.Equal("Next week. What's the weather like?", context.Messages[^1].Content);
        Assert.All(context.Messages, m => Assert.Null(m.ToolCalls));
        Assert.Equal(Context.Memories, context.Memories);
        Assert.Equal(AcceptedAt, context.AcceptedAt);
    }

    [Fact]
    public void A_context_output_written_before_recall_reads_without_memories_or_acceptance_time()
    {
        var context = Read<ContextOutput>("v1-context-before-recall.json");

        Assert.Equal(new TurnMessage("user", "What is 2 + 3?"), Assert.Single(context.Messages));
        Assert.Null(context.Memories);
        Assert.Null(context.AcceptedAt);
    }

    [Fact]
    public void A_v1_model_output_reads_with_its_tool_calls_tokens_and_transcript()
    {
        var model = Read<ModelOutput>("v1-model.json");

        Assert.Equal("primary", model.Model);
        Assert.Equal("Let me look that up.", model.Text);
        Assert.Equal("Checking the forecast.\n\nLet me look that up.", model.AllText);
        Assert.Equal([Forecast, Recall], model.ToolCalls);
        Assert.Equal("tool_calls", model.FinishReason);
        Assert.Equal(1200, model.InputTokens);
        Assert.Equal(85, model.OutputTokens);

        Assert.Equal(3, model.Transcript.Count);
        Assert.Equal([new ModelToolCall("call_0", "time.now", "{}")], model.Transcript[0].ToolCalls!);
        Assert.Equal(new TurnMessage("tool", "2026-11-25T10:00:00+01:00", ToolCallId: "call_0"), model.Transcript[1]);
        Assert.Equal([Forecast, Recall], model.Transcript[2].ToolCalls!);
        Assert.Null(model.Transcript[2].ToolCallId);
    }

    [Fact]
    public void A_v1_tools_output_reads_allowed_and_denied_calls_in_the_models_order()
    {
        var tools = Read<ToolsOutput>("v1-tools.json");

        Assert.Equal(Tools.Results, tools.Results);
    }

    [Fact]
    public void A_v1_answer_output_reads()
    {
        Assert.Equal(Answer, Read<AnswerOutput>("v1-answer.json"));
    }

    [Fact]
    public void The_tool_loop_sees_a_model_outputs_tool_calls_under_the_name_it_looks_for()
    {
        // The loop's condition and the tools step's When read the raw checkpoint, not the record: the property name is
        // part of the format too.
        var written = TurnJson.ToElement(Model);
        Assert.Equal(2, written.GetProperty("tool_calls").GetArrayLength());
        Assert.Equal(0, TurnJson.ToElement(Model with { ToolCalls = [] }).GetProperty("tool_calls").GetArrayLength());
    }

    // What today's code would checkpoint for each golden file.
    private static readonly Dictionary<string, object> Known = new(StringComparer.Ordinal)
    {
        ["v1-context.json"] = Context,
        ["v1-context-before-recall.json"] = new ContextOutput([new TurnMessage("user", "What is 2 + 3?")]),
        ["v1-model.json"] = Model,
        ["v1-tools.json"] = Tools,
        ["v1-answer.json"] = Answer,
    };

    public static TheoryData<string> Files => [.. Known.Keys];

    [Theory]
    [MemberData(nameof(Files))]
    public void Todays_code_writes_each_output_as_its_golden_file(string file)
    {
        var value = Known[file];
        var written = JsonSerializer.SerializeToElement(value, value.GetType(), TurnJson.Options);
        var golden = JsonElement.Parse(Golden(file));
        if (!JsonElement.DeepEquals(golden, written))
        {
            Assert.Fail(
                $"The checkpoint JSON of {value.GetType().Name} changed (Turns/golden/{file}). chat.turn runs that were in flight when "
                + "this version is deployed would not resume: their checkpointed step outputs no longer read back the same. Keep "
                + "this format and add a new version instead (a new field that older checkpoints may lack, or a new workflow "
                + $"version with its own golden files).\nGolden:  {golden.GetRawText()}\nWritten: {written.GetRawText()}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Reading_a_golden_file_and_writing_it_again_changes_nothing(string file)
    {
        var value = Known[file];
        var read = JsonSerializer.Deserialize(Golden(file), value.GetType(), TurnJson.Options);
        var again = JsonSerializer.SerializeToElement(read, value.GetType(), TurnJson.Options);
        Assert.True(JsonElement.DeepEquals(JsonElement.Parse(Golden(file)), again), $"{file} does not survive a read and a write: {again.GetRawText()}");
    }
}
