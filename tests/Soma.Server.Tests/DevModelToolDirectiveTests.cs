using System.ClientModel;
using System.ClientModel.Primitives;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Soma.Server.Dev;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Soma.Server.Tests;

/// <summary>
/// <c>[[tool:NAME {json arguments}]]</c> in a user message makes the dev model call exactly that tool with those
/// arguments, through the real client stack (the OpenAI SDK behind Microsoft.Extensions.AI's IChatClient).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DevModelToolDirectiveTests : IAsyncLifetime
{
    // SomaAgent offers tools by their wire names (dots as "__"); a directive names the registered tool.
    private static readonly AITool ShellRun = Declaration("shell__run", """{"type":"object","properties":{"command":{"type":"string"}}}""");
    private static readonly AITool TestCount = Declaration("test__count", """{"type":"object","properties":{"count":{"type":"integer"}}}""");
    private static readonly AITool TimeNow = Declaration("time.now", """{"type":"object","properties":{}}""");

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private DevModelServer _server = null!;

    private CancellationToken Timeout => _timeout.Token;

    public async ValueTask InitializeAsync() => _server = await DevModelServer.StartAsync(new DevModelServerOptions(), Timeout);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task A_directive_calls_exactly_that_tool_by_its_offered_name_with_arguments_holding_spaces_braces_and_brackets()
    {
        const string Arguments = """{ "command": "echo ]] {x} [y]", "env": {"A": {"B": [1, 2, {"C": "}"}]}}, "quote": "say \"hi\"" }""";
        var options = new ChatOptions { Tools = [TimeNow, ShellRun] };
        var message = $"please run this [[tool:shell.run {Arguments}]] now";

        var streamed = (await StreamAsync([new ChatMessage(ChatRole.User, message)], options)).ToList();
        var whole = await Client().GetResponseAsync(message, options, Timeout);

        foreach (var calls in (List<FunctionCallContent>[])[[.. streamed.SelectMany(u => u.Contents).OfType<FunctionCallContent>()], [.. whole.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()]])
        {
            var call = Assert.Single(calls);
            Assert.Equal("shell__run", call.Name);
            Assert.Equal("echo ]] {x} [y]", call.Arguments!["command"]?.ToString());
            Assert.Equal("say \"hi\"", call.Arguments!["quote"]?.ToString());
            Assert.Equal("}", ((JsonElement)call.Arguments!["env"]!).GetProperty("A").GetProperty("B")[2].GetProperty("C").GetString());
        }

        Assert.Equal([ChatFinishReason.ToolCalls], streamed.Select(u => u.FinishReason).Where(r => r is not null).Distinct());
    }

    [Fact]
    public async Task Several_directives_are_several_calls_in_one_round_in_their_order()
    {
        var response = await Client().GetResponseAsync(
            """[[tool:test.count {"count": 3}]] [[tool:time.now]] [[tool:test.count {"count":5}]]""", new ChatOptions { Tools = [TimeNow, TestCount] }, Timeout);

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal(["test__count", "time.now", "test__count"], calls.Select(c => c.Name));
        Assert.Equal(["3", null, "5"], calls.Select(c => c.Arguments?.TryGetValue("count", out var n) == true ? n?.ToString() : null));
        Assert.Equal(3, calls.Select(c => c.CallId).Distinct().Count());
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_tool_that_is_not_offered_gets_an_answer_saying_so_and_no_call()
    {
        var response = await Client().GetResponseAsync("""[[tool:shell.run {"command":"ls"}]]""", new ChatOptions { Tools = [TimeNow] }, Timeout);

        Assert.Equal("I cannot call shell.run: it is not offered to me.", response.Text);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
    }

    [Fact]
    public async Task After_the_results_come_back_the_model_answers_with_them()
    {
        var call = new FunctionCallContent("call_1", "test__count", new Dictionary<string, object?> { ["count"] = 2 });
        List<ChatMessage> messages = [new(ChatRole.User, """[[tool:test.count {"count": 2}]]"""), new(ChatRole.Assistant, [call]), new(ChatRole.Tool, [new FunctionResultContent("call_1", "line 1\nline 2\n")])];

        var response = await Client().GetResponseAsync(messages, new ChatOptions { Tools = [TestCount] }, Timeout);

        Assert.Equal("The tool answered: line 1\nline 2.", response.Text);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
    }

    [Fact]
    public async Task A_directive_with_broken_json_is_left_in_the_text()
    {
        var response = await Client().GetResponseAsync("""[[tool:test.count {"count": 2]] hello""", new ChatOptions { Tools = [TestCount] }, Timeout);

        Assert.Equal("""You said: [[tool:test.count {"count": 2]] hello""", response.Text);
    }

    private static AITool Declaration(string name, string schema) =>
        AIFunctionFactory.CreateDeclaration(name, $"The {name} tool.", JsonDocument.Parse(schema).RootElement);

    private IChatClient Client() =>
        new ChatClient("soma-dev", new ApiKeyCredential("sk-dev-test"), new OpenAIClientOptions { Endpoint = _server.BaseAddress, RetryPolicy = new ClientRetryPolicy(0) }).AsIChatClient();

    private async Task<List<ChatResponseUpdate>> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions options)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Client().GetStreamingResponseAsync(messages, options, Timeout))
        {
            updates.Add(update);
        }

        return updates;
    }
}
