using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Soma.Server.Dev;

/// <summary><c>POST /v1/chat/completions</c>: the answer whole, or streamed as the real API streams it.</summary>
public sealed partial class DevModelServer
{
    // Tool-call arguments stream in pieces of this many characters, as a model's tokens would come.
    private const int ArgumentFragmentLength = 8;

    private async Task ChatAsync(HttpContext context)
    {
        // Stopping the server cuts open streams rather than waiting for them.
        using var stopping = _app.Lifetime.ApplicationStopping.Register(context.Abort);
        var cancellationToken = context.RequestAborted;
        var answerNumber = Interlocked.Increment(ref _answerCount);
        context.Response.Headers["x-request-id"] = string.Create(CultureInfo.InvariantCulture, $"req_dev{answerNumber}");

        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(cancellationToken);
        }

        var chat = IncomingChat.Parse(body, out var invalid);
        var last = chat?.Messages[^1];
        Record(new RecordedRequest(chat?.Model, chat?.Stream ?? false, chat?.Messages.Count ?? 0, last?.Role, last?.Text, chat?.ToolNames ?? [], body,
            context.Request.Headers.Authorization.Count > 0));

        // Like the real API, a missing or wrong key is reported before anything wrong with the body.
        if ((Refusal(context) ?? invalid) is { } refusal)
        {
            Log.Refused(_logger, refusal.StatusCode, refusal.Message);
            await WriteErrorAsync(context, refusal);
            return;
        }

        var script = TakeScript(chat!.Model) ?? DemoModel.Answer(chat, NextCallId);
        if (script.FirstByteDelay > TimeSpan.Zero)
        {
            await Task.Delay(script.FirstByteDelay, TimeProvider.System, cancellationToken);
        }

        if (script.RetryAfterSeconds is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var described = Describe(script);
            Log.Answered(_logger, chat.Model, chat.Stream, chat.Messages.Count, described);
        }
        if (script.StatusCode != StatusCodes.Status200OK)
        {
            await WriteErrorAsync(context, ApiError.ForStatus(script.StatusCode));
            return;
        }

        var header = new CompletionHeader(string.Create(CultureInfo.InvariantCulture, $"chatcmpl-dev{answerNumber}"), TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(), chat.Model);
        var usage = script.Usage ?? new ScriptedUsage(chat.CountWords(), CountChunks(script));
        var finishReason = script.FinishReason ?? (script.ToolCalls.Count > 0 ? "tool_calls" : "stop");
        if (chat.Stream)
        {
            var events = StreamEvents(script, header, chat.IncludeUsage, finishReason, usage, out var closing);
            await TypedResults.ServerSentEvents(Paced(context, script, events, closing, script.ChunkDelay ?? _options.ChunkDelay, cancellationToken)).ExecuteAsync(context);
        }
        else
        {
            await CompleteAsync(context, script, header, finishReason, usage, cancellationToken);
        }
    }

    private static async Task CompleteAsync(HttpContext context, ScriptedResponse script, CompletionHeader header, string finishReason, ScriptedUsage usage, CancellationToken cancellationToken)
    {
        var text = script.TextChunks.Count > 0 ? string.Concat(script.TextChunks) : script.ToolCalls.Count > 0 ? null : string.Empty;
        var json = script.MalformedAfterChunks is null ? OpenAiWire.Completion(header, text, script.ToolCalls, finishReason, usage) : OpenAiWire.Malformed;
        context.Response.ContentType = "application/json";
        if (script.CutAfterChunks is null)
        {
            await context.Response.WriteAsync(json, cancellationToken);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(json);
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
        context.Abort();
    }

    /// <summary>
    /// The stream's events up to the last content or tool-call chunk (<c>Counted</c> tells those apart from the opening
    /// role chunk), and in <paramref name="closing"/> what follows: the finish chunk, the usage chunk, <c>[DONE]</c>.
    /// </summary>
    private static List<(string Data, bool Counted)> StreamEvents(
        ScriptedResponse script, CompletionHeader header, bool includeUsage, string finishReason, ScriptedUsage usage, out List<string> closing)
    {
        var events = new List<(string Data, bool Counted)>();
        string Chunk(JsonObject delta, string? finish = null) => OpenAiWire.Chunk(header, delta, finish, includeUsage);

        // The first chunk names the role: alone before text (or an empty answer), with the first tool call otherwise.
        if (script.TextChunks.Count > 0 || script.ToolCalls.Count == 0)
        {
            events.Add((Chunk(OpenAiWire.RoleDelta(withEmptyContent: true)), false));
            events.AddRange(script.TextChunks.Select(text => (Chunk(OpenAiWire.ContentDelta(text)), true)));
        }

        for (var index = 0; index < script.ToolCalls.Count; index++)
        {
            var call = script.ToolCalls[index];
            events.Add((Chunk(OpenAiWire.ToolCallStart(index, call, opensAnswer: events.Count == 0)), true));
            foreach (var fragment in Fragments(call.ArgumentsJson))
            {
                events.Add((Chunk(OpenAiWire.ToolCallArguments(index, fragment)), true));
            }
        }

        closing = [Chunk([], finishReason)];
        if (includeUsage)
        {
            closing.Add(OpenAiWire.UsageChunk(header, usage));
        }

        closing.Add(OpenAiWire.Done);
        return events;
    }

    /// <summary>Yields the events with the chunk delay between them, breaking the stream where the script says.</summary>
    private static async IAsyncEnumerable<string> Paced(
        HttpContext context, ScriptedResponse script, List<(string Data, bool Counted)> events, List<string> closing, TimeSpan delay,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var breakAt = BreakPosition(script, events, out var cut);
        for (var index = 0; index <= events.Count; index++)
        {
            if (index == breakAt && cut)
            {
                context.Abort();
                yield break;
            }

            var data = index == breakAt ? OpenAiWire.Malformed : index < events.Count ? events[index].Data : null;
            if (data is null)
            {
                break;
            }

            if (index > 0 && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, TimeProvider.System, cancellationToken);
            }

            yield return data;
            if (index == breakAt)
            {
                yield break;
            }
        }

        foreach (var data in closing)
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, TimeProvider.System, cancellationToken);
            }

            yield return data;
        }
    }

    /// <summary>
    /// Where a scripted cut or malformed line falls: before the event that would be the (N+1)th content or tool-call
    /// chunk, else after the last one; -1 when the script has neither. The earlier of the two wins.
    /// </summary>
    private static int BreakPosition(ScriptedResponse script, List<(string Data, bool Counted)> events, out bool cut)
    {
        cut = script.CutAfterChunks is { } c && c <= (script.MalformedAfterChunks ?? int.MaxValue);
        if ((cut ? script.CutAfterChunks : script.MalformedAfterChunks) is not { } after)
        {
            return -1;
        }

        var seen = 0;
        for (var index = 0; index < events.Count; index++)
        {
            if (events[index].Counted && seen++ == after)
            {
                return index;
            }
        }

        return events.Count;
    }

    private static int CountChunks(ScriptedResponse script) =>
        script.TextChunks.Count + script.ToolCalls.Sum(call => 1 + Fragments(call.ArgumentsJson).Count());

    private static IEnumerable<string> Fragments(string arguments)
    {
        for (var start = 0; start < arguments.Length;)
        {
            var length = Math.Min(ArgumentFragmentLength, arguments.Length - start);
            if (start + length < arguments.Length && char.IsHighSurrogate(arguments[start + length - 1]))
            {
                length++;
            }

            yield return arguments.Substring(start, length);
            start += length;
        }
    }

    private static string Describe(ScriptedResponse script)
    {
        if (script.StatusCode != StatusCodes.Status200OK)
        {
            return string.Create(CultureInfo.InvariantCulture, $"error {script.StatusCode}");
        }

        var what = script.ToolCalls.Count > 0
            ? $"{script.ToolCalls.Count} tool call(s): {string.Join(", ", script.ToolCalls.Select(c => c.Name))}"
            : $"\"{Shorten(string.Concat(script.TextChunks))}\"";
        return script.CutAfterChunks is { } cut ? string.Create(CultureInfo.InvariantCulture, $"{what}, cut after {cut} chunks")
            : script.MalformedAfterChunks is { } malformed ? string.Create(CultureInfo.InvariantCulture, $"{what}, malformed after {malformed} chunks")
            : what;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
