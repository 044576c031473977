using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Soma.Server.Dev;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>What the conversation tests do over HTTP: sessions, messages, waiting on observable state, the UI's text rule.</summary>
internal static class Conversation
{
    /// <summary>How long a test waits for something it expects to happen (generous: the machine may be loaded).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Configuration keys for one model endpoint named <paramref name="name"/>.</summary>
    public static Dictionary<string, string?> Model(string name, DevModelServer server, string modelId, int? timeoutSeconds = null, string? apiKey = null)
    {
        var prefix = $"Soma:Models:Endpoints:{name}:";
        var keys = new Dictionary<string, string?>
        {
            [prefix + "Endpoint"] = server.BaseAddress.ToString(),
            [prefix + "Model"] = modelId,
        };
        if (timeoutSeconds is { } timeout)
        {
            keys[prefix + "TimeoutSeconds"] = timeout.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (apiKey is not null)
        {
            keys[prefix + "ApiKey"] = apiKey;
        }

        return keys;
    }

    public static async Task<Guid> CreateSessionAsync(HttpClient client, string title = "conversation")
    {
        var response = await client.PostAsJsonAsync("/v1/sessions", new { title });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task<HttpResponseMessage> PostMessageAsync(HttpClient client, Guid sessionId, string json, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{sessionId}/messages")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await client.SendAsync(request);
    }

    public static string Body(string content) => JsonSerializer.Serialize(new { content });

    /// <summary>Posts <paramref name="content"/> and asserts 202.</summary>
    public static async Task<AcceptedMessage> SendAsync(HttpClient client, Guid sessionId, string content, string? idempotencyKey = null)
    {
        var response = await PostMessageAsync(client, sessionId, Body(content), idempotencyKey);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {body}");
        return Accepted(body);
    }

    public static AcceptedMessage Accepted(string body)
    {
        var json = JsonDocument.Parse(body).RootElement;
        return new AcceptedMessage(json.GetProperty("message_id").GetGuid(), json.GetProperty("run_id").GetGuid(), json.GetProperty("reply_id").GetGuid());
    }

    /// <summary>The session's messages, every page.</summary>
    public static async Task<List<JsonElement>> MessagesAsync(HttpClient client, Guid sessionId)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{sessionId}/messages?limit=500");
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    /// <summary>Polls until the run has ended; returns it.</summary>
    public static Task<JsonElement> RunEndedAsync(HttpClient client, Guid runId) => EventuallyAsync(
        () => client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}"),
        run => run.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled",
        $"run {runId} to end");

    /// <summary>Calls <paramref name="probe"/> until <paramref name="done"/> says yes; fails after <see cref="Patience"/>.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The answer text as the UI builds it from the deltas of <paramref name="messageId"/>: a delta with index 0
    /// replaces the text, any other appends.
    /// </summary>
    public static string UiText(IEnumerable<SseFrame> frames, Guid messageId)
    {
        var text = new StringBuilder();
        foreach (var delta in Deltas(frames, messageId))
        {
            if (delta.Index == 0)
            {
                text.Clear();
            }

            text.Append(delta.Text);
        }

        return text.ToString();
    }

    public static IEnumerable<(int Index, string Text)> Deltas(IEnumerable<SseFrame> frames, Guid messageId) =>
        frames.Where(f => f.IsDelta)
            .Select(f => f.EventData)
            .Where(d => d.GetProperty("message_id").GetGuid() == messageId)
            .Select(d => (d.GetProperty("index").GetInt32(), d.GetProperty("delta").GetString()!));
}
