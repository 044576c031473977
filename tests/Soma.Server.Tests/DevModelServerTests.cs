using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Soma.Server.Dev;
using Soma.Testing;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Soma.Server.Tests;

/// <summary>The dev model server driven by the real client stack: the OpenAI SDK behind Microsoft.Extensions.AI's IChatClient.</summary>
[SupportedOSPlatform("linux")]
public sealed class DevModelServerTests : IAsyncLifetime
{
    private const string Key = "sk-dev-test";

    private static readonly AITool TimeNow = Declaration("time.now", """{"type":"object","properties":{}}""");
    private static readonly AITool MathEvaluate = Declaration("math.evaluate", """{"type":"object","properties":{"expression":{"type":"string"}},"required":["expression"]}""");
    private static readonly AITool SessionSearch = Declaration("session.search", """{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}""");

    // No test may hang the run: every call gives up after this.
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
    public async Task A_streamed_answer_arrives_in_several_updates_that_concatenate_to_the_full_text_with_usage()
    {
        var updates = await StreamAsync(Client(_server), [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "hello there, model")]);

        var texts = updates.Select(u => u.Text).Where(t => t.Length > 0).ToList();
        Assert.Equal(["You", " said:", " hello", " there,", " model"], texts);
        Assert.Equal("You said: hello there, model", string.Concat(texts));
        Assert.Equal([ChatFinishReason.Stop], updates.Select(u => u.FinishReason).Where(r => r is not null).Distinct());
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details;
        Assert.Equal(5, usage.InputTokenCount);
        Assert.Equal(5, usage.OutputTokenCount);
        Assert.Equal(10, usage.TotalTokenCount);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("soma-dev", request.Model);
        Assert.True(request.Stream);
        Assert.Equal(2, request.MessageCount);
        Assert.Equal("user", request.LastMessageRole);
        Assert.Equal("hello there, model", request.LastMessageText);
        Assert.Empty(request.ToolNames);
        Assert.True(request.HasAuthorization);
        Assert.DoesNotContain(Key, request.Body, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(request.Body).RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task A_whole_answer_carries_text_finish_reason_and_usage()
    {
        var response = await Client(_server, "other-model").GetResponseAsync("say something", cancellationToken: Timeout);

        Assert.Equal("You said: say something", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("other-model", response.ModelId);
        Assert.Equal(2, response.Usage?.InputTokenCount);
        Assert.Equal(4, response.Usage?.OutputTokenCount);
        var request = Assert.Single(_server.Requests);
        Assert.False(request.Stream);
        Assert.Equal("other-model", request.Model);
    }

    [Fact]
    public async Task Scripted_answers_are_used_first_in_first_out_and_a_model_bound_one_waits_for_its_model()
    {
        _server.Enqueue(new ScriptedResponse { TextChunks = ["for ", "gpt"] }, model: "gpt-x");
        _server.Enqueue(new ScriptedResponse { TextChunks = ["first"], Usage = new ScriptedUsage(11, 22) });
        _server.Enqueue(ScriptedResponse.Text("second answer"));

        var first = await Client(_server).GetResponseAsync("a", cancellationToken: Timeout);
        var gpt = await StreamAsync(Client(_server, "gpt-x"), [new ChatMessage(ChatRole.User, "b")]);
        var second = await StreamAsync(Client(_server), [new ChatMessage(ChatRole.User, "c")]);
        var demo = await Client(_server).GetResponseAsync("d", cancellationToken: Timeout);

        Assert.Equal("first", first.Text);
        Assert.Equal((11, 22), (first.Usage?.InputTokenCount, first.Usage?.OutputTokenCount));
        Assert.Equal(["for ", "gpt"], gpt.Select(u => u.Text).Where(t => t.Length > 0));
        Assert.Equal(["second", " answer"], second.Select(u => u.Text).Where(t => t.Length > 0));
        Assert.Equal("You said: d", demo.Text);
        Assert.Equal(4, _server.Requests.Count);
    }

    [Fact]
    public async Task A_single_tool_call_streams_as_a_function_call_with_its_arguments()
    {
        var updates = await StreamAsync(Client(_server), [new ChatMessage(ChatRole.User, "What time is it?")], new ChatOptions { Tools = [TimeNow, MathEvaluate] });

        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("time.now", call.Name);
        Assert.Matches("^call_[0-9]+$", call.CallId);
        Assert.Empty(call.Arguments!);
        Assert.Equal([ChatFinishReason.ToolCalls], updates.Select(u => u.FinishReason).Where(r => r is not null).Distinct());
        Assert.Equal(["time.now", "math.evaluate"], _server.Requests.Single().ToolNames);
    }

    [Fact]
    public async Task Two_tools_asked_at_once_are_parallel_calls_streamed_and_whole()
    {
        var options = new ChatOptions { Tools = [TimeNow, MathEvaluate, SessionSearch] };
        const string Question = "what time is it, and calculate (2 + 3) * 4.";

        var streamed = (await StreamAsync(Client(_server), [new ChatMessage(ChatRole.User, Question)], options)).SelectMany(u => u.Contents).OfType<FunctionCallContent>().ToList();
        var whole = (await Client(_server).GetResponseAsync(Question, options, Timeout)).Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();

        foreach (var calls in (List<FunctionCallContent>[])[streamed, whole])
        {
            Assert.Equal(["time.now", "math.evaluate"], calls.Select(c => c.Name));
            Assert.Equal("(2 + 3) * 4", calls[1].Arguments!["expression"]?.ToString());
            Assert.NotEqual(calls[0].CallId, calls[1].CallId);
        }
    }

    [Fact]
    public async Task Search_is_called_with_the_words_after_it()
    {
        var response = await Client(_server).GetResponseAsync("please search for durable agents?", new ChatOptions { Tools = [SessionSearch] }, Timeout);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("session.search", call.Name);
        Assert.Equal("durable agents", call.Arguments!["query"]?.ToString());
    }

    [Fact]
    public async Task Without_the_tool_offered_the_demo_echoes_instead_of_calling_it()
    {
        var response = await Client(_server).GetResponseAsync("what time is it", new ChatOptions { Tools = [MathEvaluate] }, Timeout);

        Assert.Equal("You said: what time is it", response.Text);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
    }

    [Fact]
    public async Task Scripted_tool_calls_with_long_arguments_arrive_whole_after_streaming_in_fragments()
    {
        var arguments = """{"expression":"1 + 2 * 3 - 4 / 5","note":"héllo 🌍 wörld, a long text to be cut into fragments"}""";
        _server.Enqueue(ScriptedResponse.Tools(new ScriptedToolCall("call_a", "math.evaluate", arguments), new ScriptedToolCall("call_b", "time.now", "{}")));

        var calls = (await StreamAsync(Client(_server), [new ChatMessage(ChatRole.User, "x")], new ChatOptions { Tools = [TimeNow, MathEvaluate] }))
            .SelectMany(u => u.Contents).OfType<FunctionCallContent>().ToList();

        Assert.Equal([("call_a", "math.evaluate"), ("call_b", "time.now")], calls.Select(c => (c.CallId, c.Name)));
        Assert.Equal("héllo 🌍 wörld, a long text to be cut into fragments", calls[0].Arguments!["note"]?.ToString());
        Assert.Equal("1 + 2 * 3 - 4 / 5", calls[0].Arguments!["expression"]?.ToString());
    }

    [Fact]
    public async Task Tool_results_are_reported_back_in_the_answer()
    {
        var call = new FunctionCallContent("call_7", "time.now", new Dictionary<string, object?>());
        var other = new FunctionCallContent("call_8", "math.evaluate", new Dictionary<string, object?> { ["expression"] = "2+3" });
        List<ChatMessage> one = [new(ChatRole.User, "what time is it"), new(ChatRole.Assistant, [call]), new(ChatRole.Tool, [new FunctionResultContent("call_7", "12:00")])];
        List<ChatMessage> two = [new(ChatRole.User, "both"), new(ChatRole.Assistant, [call, other]),
            new(ChatRole.Tool, [new FunctionResultContent("call_7", "12:00")]), new(ChatRole.Tool, [new FunctionResultContent("call_8", "5")])];

        var single = await StreamAsync(Client(_server), one, new ChatOptions { Tools = [TimeNow] });
        var both = await Client(_server).GetResponseAsync(two, new ChatOptions { Tools = [TimeNow, MathEvaluate] }, Timeout);

        Assert.Equal("The tool answered: 12:00.", string.Concat(single.Select(u => u.Text)));
        Assert.True(single.Count(u => u.Text.Length > 0) > 1, "streamed word by word");
        Assert.Equal("The tools answered: 12:00; 5.", both.Text);
        Assert.Equal("tool", _server.Requests[0].LastMessageRole);
        Assert.Equal("12:00", _server.Requests[0].LastMessageText);
    }

    [Fact]
    public async Task A_server_error_throws_a_client_result_exception_with_its_status()
    {
        _server.Enqueue(ScriptedResponse.Error(500));
        _server.Enqueue(ScriptedResponse.Error(500));

        var whole = await Assert.ThrowsAsync<ClientResultException>(() => Client(_server).GetResponseAsync("hi", cancellationToken: Timeout));
        var streamed = await Assert.ThrowsAsync<ClientResultException>(() => StreamAsync(Client(_server), [new ChatMessage(ChatRole.User, "hi")]));

        Assert.Equal(500, whole.Status);
        Assert.Equal(500, streamed.Status);
        Assert.Contains("server had an error", whole.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rate_limit_answers_429_with_retry_after_and_an_openai_error_body()
    {
        _server.Enqueue(ScriptedResponse.Error(429, retryAfterSeconds: 1));
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(_server.BaseAddress, "chat/completions"), Json("""{"model":"soma-dev","messages":[{"role":"user","content":"hi"}]}"""), Timeout);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));

        var thrown = await Assert.ThrowsAsync<ClientResultException>(() => Client(_server).GetResponseAsync("[[status:429 retry-after=2]] hi", cancellationToken: Timeout));
        Assert.Equal(429, thrown.Status);
        Assert.Equal("2", thrown.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var retryAfter) == true ? retryAfter : null);
    }

    [Fact]
    public async Task A_slow_first_byte_delays_the_answer_by_at_least_the_delay()
    {
        var delay = TimeSpan.FromMilliseconds(400);
        _server.Enqueue(new ScriptedResponse { FirstByteDelay = delay, TextChunks = ["late"] });
        var client = Client(_server);

        var clock = Stopwatch.StartNew();
        var response = await client.GetResponseAsync("hi", cancellationToken: Timeout);
        var slow = clock.Elapsed;
        clock.Restart();
        await StreamAsync(client, [new ChatMessage(ChatRole.User, "[[delay:300]] hi")]);
        var directed = clock.Elapsed;

        Assert.Equal("late", response.Text);
        // Lower bounds only: a loaded machine may be slower, never faster, than the scripted delay.
        Assert.True(slow >= delay - TimeSpan.FromMilliseconds(15), $"took {slow}");
        Assert.True(directed >= TimeSpan.FromMilliseconds(285), $"took {directed}");
    }

    [Fact]
    public async Task A_stream_cut_mid_way_throws_after_the_text_sent_before_the_cut()
    {
        _server.Enqueue(new ScriptedResponse { TextChunks = ["one", " two", " three", " four"], CutAfterChunks = 2 });

        var (scripted, scriptedError) = await StreamUntilErrorAsync(Client(_server), "hi");
        var (directed, directedError) = await StreamUntilErrorAsync(Client(_server), "[[cut]] alpha beta gamma");

        Assert.Equal("one two", scripted);
        Assert.IsAssignableFrom<IOException>(scriptedError);
        Assert.Equal("You said:", directed);
        Assert.IsAssignableFrom<IOException>(directedError);
    }

    [Fact]
    public async Task A_whole_answer_cut_mid_body_throws()
    {
        _server.Enqueue(new ScriptedResponse { TextChunks = ["never", " whole"], CutAfterChunks = 0 });

        var error = await Record.ExceptionAsync(() => Client(_server).GetResponseAsync("hi", cancellationToken: Timeout));

        Assert.IsAssignableFrom<IOException>(error);
    }

    [Fact]
    public async Task A_malformed_chunk_throws_after_the_text_before_it()
    {
        _server.Enqueue(new ScriptedResponse { TextChunks = ["one", " two", " three"], MalformedAfterChunks = 1 });

        var (scripted, scriptedError) = await StreamUntilErrorAsync(Client(_server), "hi");
        var (directed, directedError) = await StreamUntilErrorAsync(Client(_server), "alpha beta gamma [[malformed]]");

        Assert.Equal("one", scripted);
        Assert.IsAssignableFrom<JsonException>(scriptedError);
        Assert.Equal("You said:", directed);
        Assert.IsAssignableFrom<JsonException>(directedError);
    }

    [Fact]
    public async Task With_an_api_key_set_a_wrong_or_missing_key_gets_401_invalid_api_key()
    {
        await using var server = await DevModelServer.StartAsync(new DevModelServerOptions { ApiKey = Key }, Timeout);
        server.Enqueue(ScriptedResponse.Text("kept for the right key"));

        var wrong = await Assert.ThrowsAsync<ClientResultException>(() => Client(server, key: "sk-wrong").GetResponseAsync("hi", cancellationToken: Timeout));
        using var http = new HttpClient();
        using var missing = await http.PostAsync(new Uri(server.BaseAddress, "chat/completions"), Json("""{"model":"soma-dev","messages":[{"role":"user","content":"hi"}]}"""), Timeout);
        using var models = await http.GetAsync(new Uri(server.BaseAddress, "models"), Timeout);
        var right = await Client(server, key: Key).GetResponseAsync("hi", cancellationToken: Timeout);

        Assert.Equal(401, wrong.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
        var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("kept for the right key", right.Text);
        Assert.Equal([true, false, true], server.Requests.Select(r => r.HasAuthorization));
        Assert.All(server.Requests, r => Assert.DoesNotContain("sk-", r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Models_are_listed_in_the_openai_format()
    {
        await using var server = await DevModelServer.StartAsync(new DevModelServerOptions { Models = ["soma-dev", "soma-dev-large"] }, Timeout);
        var models = new OpenAIClient(new ApiKeyCredential(Key), Options(server)).GetOpenAIModelClient();

        var listed = await models.GetModelsAsync(Timeout);

        Assert.Equal(["soma-dev", "soma-dev-large"], listed.Value.Select(m => m.Id));
    }

    [Theory]
    [InlineData("""{"model":"soma-dev","messages":[{"role":"user","content":"hi"}""", null)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", null)]
    [InlineData("""{"model":"soma-dev"}""", "messages")]
    [InlineData("""{"model":"soma-dev","messages":[]}""", "messages")]
    [InlineData("""{"model":"soma-dev","messages":[{"content":"hi"}]}""", "messages[0].role")]
    public async Task A_malformed_request_gets_400_with_an_openai_error(string body, string? param)
    {
        _server.Enqueue(ScriptedResponse.Text("not for a bad request"));
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(_server.BaseAddress, "chat/completions"), Json(body), Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(body, Assert.Single(_server.Requests).Body);
        Assert.Equal("not for a bad request", (await Client(_server).GetResponseAsync("hi", cancellationToken: Timeout)).Text);
    }

    [Fact]
    public async Task The_stream_speaks_the_chat_completions_wire_format()
    {
        _server.Enqueue(new ScriptedResponse { TextChunks = ["Hi"], ToolCalls = [new ScriptedToolCall("call_x", "math.evaluate", """{"expression":"1+1"}""")] });
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(_server.BaseAddress, "chat/completions"),
            Json("""{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"""), Timeout);
        var lines = (await response.Content.ReadAsStringAsync(Timeout)).Split('\n');

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.All(lines.Where((_, i) => i % 2 == 1), line => Assert.Equal(string.Empty, line));
        var data = lines.Where((_, i) => i % 2 == 0).Where(l => l.Length > 0).ToList();
        Assert.All(data, l => Assert.StartsWith("data: ", l, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", data[^1]);
        var chunks = data[..^1].Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal("m", c.GetProperty("model").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.False(chunks.Any(c => c.TryGetProperty("usage", out _)), "no usage without stream_options.include_usage");

        var deltas = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta")).ToList();
        Assert.Equal("assistant", deltas[0].GetProperty("role").GetString());
        Assert.Equal("Hi", deltas[1].GetProperty("content").GetString());
        var toolStart = deltas[2].GetProperty("tool_calls")[0];
        Assert.Equal(0, toolStart.GetProperty("index").GetInt32());
        Assert.Equal("call_x", toolStart.GetProperty("id").GetString());
        Assert.Equal("function", toolStart.GetProperty("type").GetString());
        Assert.Equal("math.evaluate", toolStart.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(string.Empty, toolStart.GetProperty("function").GetProperty("arguments").GetString());
        var fragments = deltas[3..^1].Select(d => d.GetProperty("tool_calls")[0]).ToList();
        Assert.True(fragments.Count > 1, "the arguments come in several fragments");
        Assert.All(fragments, f => Assert.False(f.TryGetProperty("id", out _)));
        Assert.Equal("""{"expression":"1+1"}""", string.Concat(fragments.Select(f => f.GetProperty("function").GetProperty("arguments").GetString())));
        Assert.Equal("tool_calls", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
    }

    [Fact]
    public async Task Directives_set_words_status_and_chunk_delay_and_leave_the_echo()
    {
        var words = await StreamAsync(Client(_server), [new ChatMessage(ChatRole.User, "[[words:40]]")]);
        var echo = await Client(_server).GetResponseAsync("hello [[chunk-delay:1]] there [[unknown:1]]", cancellationToken: Timeout);
        var status = await Assert.ThrowsAsync<ClientResultException>(() => Client(_server).GetResponseAsync("[[status:503]] hi", cancellationToken: Timeout));

        var text = words.Select(u => u.Text).Where(t => t.Length > 0).ToList();
        Assert.Equal(40, text.Count);
        Assert.Equal(string.Join(' ', Enumerable.Range(1, 40).Select(i => $"w{i}")), string.Concat(text));
        Assert.Equal("You said: hello there [[unknown:1]]", echo.Text);
        Assert.Equal(503, status.Status);
    }

    [Fact]
    public async Task Stopping_the_server_cuts_a_stream_that_is_still_open()
    {
        var server = await DevModelServer.StartAsync(new DevModelServerOptions { ChunkDelay = TimeSpan.FromSeconds(60) }, Timeout);
        await using var stream = Client(server).GetStreamingResponseAsync("slow answer", cancellationToken: Timeout).GetAsyncEnumerator(Timeout);
        Assert.True(await stream.MoveNextAsync());

        var clock = Stopwatch.StartNew();
        await server.DisposeAsync();

        // Far less than the minute the next chunk would take: the stream is cut, not waited for.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {clock.Elapsed}");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (await stream.MoveNextAsync())
            {
            }
        });
    }

    [Fact]
    public void Scripts_that_no_real_api_would_send_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _server.Enqueue(ScriptedResponse.Error(302)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _server.Enqueue(new ScriptedResponse { CutAfterChunks = -1 }));
        Assert.Throws<ArgumentException>(() => _server.Enqueue(ScriptedResponse.Text("x"), model: " "));
    }

    [Fact]
    public async Task Soma_dev_model_server_prints_its_url_and_the_keys_and_answers_until_sigterm()
    {
        var port = FreePort.Next();
        await using var soma = SomaProcess.Start(["dev", "model-server", "--port", $"{port}", "--chunk-delay-ms", "0"]);
        var output = await soma.WaitForOutputAsync("Soma__Models__Endpoints__dev__Model=soma-dev", TimeSpan.FromSeconds(60));

        var url = $"http://127.0.0.1:{port}/v1/";
        Assert.Contains(url, output, StringComparison.Ordinal);
        Assert.Contains($"Soma__Models__Endpoints__dev__Endpoint={url}", output, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var models = JsonDocument.Parse(await http.GetStringAsync(new Uri("models", UriKind.Relative), Timeout)).RootElement;
        Assert.Equal("soma-dev", models.GetProperty("data")[0].GetProperty("id").GetString());
        var client = new ChatClient("soma-dev", new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(url), RetryPolicy = new ClientRetryPolicy(0) }).AsIChatClient();
        Assert.Equal("You said: hi", (await client.GetResponseAsync("hi", cancellationToken: Timeout)).Text);

        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Soma_dev_model_server_on_a_port_in_use_exits_1_saying_so()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["dev", "model-server", "--port", $"{port}"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("in use", stderr, StringComparison.Ordinal);
        Assert.Contains($"{port}", stderr, StringComparison.Ordinal);
    }

    private static AITool Declaration(string name, string schema) =>
        AIFunctionFactory.CreateDeclaration(name, $"The {name} tool.", JsonDocument.Parse(schema).RootElement);

    private static OpenAIClientOptions Options(DevModelServer server) =>
        new() { Endpoint = server.BaseAddress, RetryPolicy = new ClientRetryPolicy(0) };

    private static IChatClient Client(DevModelServer server, string model = "soma-dev", string key = Key) =>
        new ChatClient(model, new ApiKeyCredential(key), Options(server)).AsIChatClient();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private async Task<List<ChatResponseUpdate>> StreamAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, Timeout))
        {
            updates.Add(update);
        }

        return updates;
    }

    /// <summary>Streams until the enumeration throws; returns the text received before and the exception.</summary>
    private async Task<(string Text, Exception Error)> StreamUntilErrorAsync(IChatClient client, string message)
    {
        var text = new StringBuilder();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(message, cancellationToken: Timeout))
            {
                text.Append(update.Text);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (text.ToString(), ex);
        }

        throw new Xunit.Sdk.XunitException($"the stream ended without an error after '{text}'");
    }
}
