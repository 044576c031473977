using System.Globalization;
using System.Net;
using System.Text;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>
/// A client of <c>GET /v1/sessions/{id}/events</c> reading the raw stream line by line, as a browser's EventSource
/// would. The subscription exists once <see cref="OpenAsync"/> returns: the server sends its headers only after it subscribed.
/// </summary>
internal sealed class SseConnection : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseConnection(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>Every frame read so far, in order.</summary>
    public List<SseFrame> Frames { get; } = [];

    public static async Task<SseConnection> OpenAsync(HttpClient client, Guid sessionId, string? lastEventId = null, string? query = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{sessionId}/events" + (query is null ? string.Empty : "?" + query));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Only a refusal is read whole: a stream never ends.
            Assert.Fail($"the event stream answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        return new SseConnection(response, reader);
    }

    /// <summary>Reads frames until one matches <paramref name="stop"/> (which is returned); fails after <paramref name="timeout"/>.</summary>
    public async Task<SseFrame> ReadUntilAsync(Func<SseFrame, bool> stop, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? Conversation.Patience);
        try
        {
            while (true)
            {
                var frame = await NextAsync(cancellation.Token)
                    ?? throw new InvalidOperationException("The event stream ended early. Read so far:\n" + Describe());
                if (stop(frame))
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException("The awaited event did not arrive. Read so far:\n" + Describe());
        }
    }

    /// <summary>Reads until the durable event of <paramref name="type"/> arrives.</summary>
    public Task<SseFrame> ReadUntilEventAsync(string type, TimeSpan? timeout = null) => ReadUntilAsync(f => f.Event == type, timeout);

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }

    private async Task<SseFrame?> NextAsync(CancellationToken cancellationToken)
    {
        long? id = null;
        string? type = null;
        string? comment = null;
        var data = new StringBuilder();
        var any = false;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (!any)
                {
                    continue;
                }

                var frame = new SseFrame(id, type, data.ToString(), comment);
                Frames.Add(frame);
                return frame;
            }

            any = true;
            if (line.StartsWith(':'))
            {
                comment = line[1..].Trim();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(data.Length > 0 ? "\n" : string.Empty).Append(line[6..]);
            }
        }

        return null;
    }

    private string Describe() => string.Join('\n', Frames.Select(f => $"  {f.Id} {f.Event ?? ":" + f.Comment} {Shorten(f.Data)}"));

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
