using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// Answers the page's <c>GET /v1/sessions/{id}/events</c> requests inside the browser with scripted SSE bodies, one
/// per request, so the UI's rendering and reconnecting can be tested event by event. Each body ends its response, so
/// the page reconnects (with Last-Event-ID) and gets the next one; with nothing queued it gets a keepalive comment.
/// </summary>
internal sealed class EventStreamStub
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Lock _gate = new();
    private readonly Queue<string> _bodies = new();
    private readonly List<StubbedRequest> _requests = [];

    public IReadOnlyList<StubbedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<EventStreamStub> AttachAsync(IPage page)
    {
        var stub = new EventStreamStub();
        await page.RouteAsync("**/v1/sessions/*/events", stub.AnswerAsync);
        return stub;
    }

    public void Enqueue(params string[] events)
    {
        lock (_gate)
        {
            _bodies.Enqueue(string.Concat(events));
        }
    }

    /// <summary>One SSE event with a full envelope; <paramref name="id"/> null for live-only events (deltas).</summary>
    public static string Event(string type, object data, long? id = null, string? runId = "run-1")
    {
        var envelope = new Dictionary<string, object?>
        {
            ["id"] = Guid.CreateVersion7().ToString(),
            ["type"] = type,
            ["schema"] = "urn:soma:event:" + type + ":1",
            ["time"] = DateTimeOffset.UtcNow,
            ["tenant_id"] = "t",
            ["source"] = "test",
            ["trace_id"] = "0af7651916cd43dd8448eb211c80319c",
            ["span_id"] = "b7ad6b7169203331",
            ["session_id"] = "s",
            ["data"] = data,
        };
        if (runId is not null)
        {
            envelope["run_id"] = runId;
        }

        var text = new StringBuilder();
        if (id is not null)
        {
            text.Append("id: ").Append(id.Value).Append('\n');
        }

        return text.Append("event: ").Append(type).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(envelope, Json)).Append("\n\n").ToString();
    }

    private async Task AnswerAsync(IRoute route)
    {
        string body;
        lock (_gate)
        {
            var scripted = _bodies.TryDequeue(out var next);
            body = scripted ? next! : ": keepalive\n\n";
            var headers = route.Request.Headers;
            _requests.Add(new StubbedRequest(headers.GetValueOrDefault("last-event-id"), headers.GetValueOrDefault("authorization"), route.Request.Url, scripted));
        }

        await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = body });
    }
}
