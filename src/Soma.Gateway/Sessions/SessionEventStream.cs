using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Storage;
using Soma.Core.Streaming;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Sessions;

/// <summary>
/// <c>GET /v1/sessions/{id}/events</c>: the session as Server-Sent Events. Durable events carry <c>id:</c> = the
/// per-session sequence and replay from <c>Last-Event-ID</c>; answer deltas and tool output deltas are live only (no id).
/// A client that connects while an answer or a tool's output is being written first gets one delta with index (seq) 0
/// holding the text so far, then the live deltas: no gap, no duplicate. A comment line keeps idle connections open.
/// </summary>
internal static class SessionEventStream
{
    private const int ReplayBatch = 500;

    // A worker in another process wakes this stream through the session stream (NATS) when there is one; the log is
    // still read at least this often, so a missed wake-up (the in-process stream, a reconnect) costs at most this long.
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/sessions/{id:guid}/events", OpenAsync).WithTags("sessions")
            .WithSummary("Stream the session's events (SSE); resume with Last-Event-ID.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> OpenAsync(Guid id, HttpContext httpContext, ClaimsPrincipal user, ISessionStore sessions, CancellationToken cancellationToken)
    {
        var tenant = user.GetTenantId();
        var raw = httpContext.Request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(raw))
        {
            raw = httpContext.Request.Query["last_event_id"].ToString();
        }

        long after = 0;
        if (raw.Length > 0 && (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            return Problem.Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidParameter, "Invalid Last-Event-ID",
                "Last-Event-ID must be a sequence number this stream sent (a non-negative integer).", new Dictionary<string, object?> { ["header"] = "Last-Event-ID" });
        }

        if (await sessions.GetAsync(tenant, id, cancellationToken) is null)
        {
            return Problem.NotFound($"Session {id}");
        }

        return new StreamResult(new SessionKey(tenant, id), after);
    }

    private sealed class StreamResult(SessionKey session, long after) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var services = httpContext.RequestServices;
            var sessions = services.GetRequiredService<ISessionStore>();
            var stream = services.GetRequiredService<ISessionStream>();
            var ids = services.GetRequiredService<IIdGenerator>();
            var time = services.GetRequiredService<TimeProvider>();
            var keepAlive = TimeSpan.FromSeconds(services.GetRequiredService<IOptions<GatewayOptions>>().Value.SseKeepAliveSeconds);
            var cancellationToken = httpContext.RequestAborted;

            var response = httpContext.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            using var subscription = await stream.SubscribeAsync(session, cancellationToken);
            var writer = new EventWriter(response, session, ids, time, after);
            try
            {
                await writer.ReplayAsync(sessions, cancellationToken);
                foreach (var answer in subscription.Answers.Where(a => !writer.Finished.Contains(a.MessageId)))
                {
                    await writer.WriteDeltaAsync(answer.RunId, answer.MessageId, 0, answer.Text, cancellationToken);
                }

                foreach (var output in subscription.ToolOutputs.Where(o => !writer.FinishedTools.Contains((o.RunId, o.ToolCallId))))
                {
                    await writer.WriteToolDeltaAsync(output.RunId, output.ToolCallId, output.Tool, output.Index, output.Text, snapshot: true, cancellationToken);
                }

                await response.Body.FlushAsync(cancellationToken);
                var lastWrite = time.GetTimestamp();
                var lastPoll = lastWrite;
                while (!cancellationToken.IsCancellationRequested)
                {
                    var wait = Min(keepAlive - time.GetElapsedTime(lastWrite), PollInterval - time.GetElapsedTime(lastPoll));
                    if (wait > TimeSpan.Zero && !subscription.Items.TryPeek(out _))
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        timeout.CancelAfter(wait);
                        try
                        {
                            if (!await subscription.Items.WaitToReadAsync(timeout.Token))
                            {
                                return;
                            }
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                        }
                    }

                    var wrote = false;
                    while (subscription.Items.TryRead(out var item))
                    {
                        if (item.Kind == SessionStreamItemKind.Durable)
                        {
                            wrote |= await writer.ReplayAsync(sessions, cancellationToken);
                            lastPoll = time.GetTimestamp();
                        }
                        else if (item.Kind == SessionStreamItemKind.ToolOutputDelta)
                        {
                            if (!writer.FinishedTools.Contains((item.RunId, item.ToolCallId!)))
                            {
                                await writer.WriteToolDeltaAsync(item.RunId, item.ToolCallId!, item.Tool!, item.Index, item.Text, snapshot: false, cancellationToken);
                                wrote = true;
                            }
                        }
                        else if (!writer.Finished.Contains(item.MessageId))
                        {
                            await writer.WriteDeltaAsync(item.RunId, item.MessageId, item.Index, item.Text, cancellationToken);
                            wrote = true;
                        }
                    }

                    if (time.GetElapsedTime(lastPoll) >= PollInterval)
                    {
                        wrote |= await writer.ReplayAsync(sessions, cancellationToken);
                        lastPoll = time.GetTimestamp();
                    }

                    if (!wrote && time.GetElapsedTime(lastWrite) >= keepAlive)
                    {
                        await response.WriteAsync(": keepalive\n\n", cancellationToken);
                        wrote = true;
                    }

                    if (wrote)
                    {
                        await response.Body.FlushAsync(cancellationToken);
                        lastWrite = time.GetTimestamp();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away.
            }
            catch (ChannelClosedException)
            {
                // This stream fell behind the live answer; the client reconnects with Last-Event-ID and loses nothing.
            }
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    private sealed class EventWriter(HttpResponse response, SessionKey session, IIdGenerator ids, TimeProvider time, long after)
    {
        private readonly StringBuilder _buffer = new();
        private readonly Dictionary<(Guid RunId, string ToolCallId), int> _toolBase = [];
        private long _after = after;

        /// <summary>Answers whose final (or error) event this stream has sent: later deltas of them are stale.</summary>
        public HashSet<Guid> Finished { get; } = [];

        /// <summary>Tool calls (by run) whose durable output (or denial, or end) this stream has sent: later deltas of them are stale.</summary>
        public HashSet<(Guid RunId, string ToolCallId)> FinishedTools { get; } = [];

        public async Task<bool> ReplayAsync(ISessionStore sessions, CancellationToken cancellationToken)
        {
            var any = false;
            while (true)
            {
                var events = await sessions.ListEventsAsync(session.TenantId, session.SessionId, _after, ReplayBatch, cancellationToken);
                foreach (var e in events)
                {
                    _buffer.Clear();
                    _buffer.Append("id: ").Append(e.Sequence.ToString(CultureInfo.InvariantCulture)).Append("\nevent: ").Append(e.Type).Append("\ndata: ").Append(e.Payload).Append("\n\n");
                    await response.WriteAsync(_buffer.ToString(), cancellationToken);
                    _after = e.Sequence;
                    if (e.Type == AssistantFinal.EventType || e.Type == ConversationError.EventType)
                    {
                        if (MessageIdOf(e.Payload) is { } messageId)
                        {
                            Finished.Add(messageId);
                        }
                    }
                    else if ((e.Type == ToolOutput.EventType || e.Type == ToolDenied.EventType || e.Type == ToolSucceeded.EventType || e.Type == ToolFailed.EventType) && ToolCallOf(e.Payload) is { } call)
                    {
                        FinishedTools.Add(call);
                    }
                }

                any |= events.Count > 0;
                if (events.Count < ReplayBatch)
                {
                    return any;
                }
            }
        }

        public Task WriteDeltaAsync(Guid runId, Guid messageId, int index, string text, CancellationToken cancellationToken)
        {
            var context = EventContext.FromActivity(null, session.TenantId, "soma/worker", runId.ToString()) with { SessionId = session.SessionId, RunId = runId };
            var envelope = context.Create(new AssistantDelta(messageId, text, index), ids, time);
            return response.WriteAsync("event: " + AssistantDelta.EventType + "\ndata: " + EventJson.Serialize(envelope) + "\n\n", cancellationToken);
        }

        /// <summary>
        /// Writes a tool output delta. Seq counts per connection: the snapshot (stream index n) goes out as 0 and the live
        /// delta n + 1 as 1, so a client sees 0, 1, 2, … for each call, whenever it connected.
        /// </summary>
        public Task WriteToolDeltaAsync(Guid runId, string toolCallId, string tool, int index, string chunk, bool snapshot, CancellationToken cancellationToken)
        {
            var key = (runId, toolCallId);
            if (snapshot || index == 0)
            {
                _toolBase[key] = index;
            }

            var seq = index - _toolBase.GetValueOrDefault(key);
            var context = EventContext.FromActivity(null, session.TenantId, "soma/worker", runId.ToString()) with { SessionId = session.SessionId, RunId = runId };
            var envelope = context.Create(new ToolOutputDelta(toolCallId, tool, seq, chunk), ids, time);
            return response.WriteAsync("event: " + ToolOutputDelta.EventType + "\ndata: " + EventJson.Serialize(envelope) + "\n\n", cancellationToken);
        }

        private static (Guid RunId, string ToolCallId)? ToolCallOf(string payload)
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            var root = document.RootElement;
            return root.TryGetProperty("run_id", out var run) && run.TryGetGuid(out var runId)
                && root.TryGetProperty("data", out var data) && data.TryGetProperty("tool_call_id", out var id) && id.GetString() is { } toolCallId
                ? (runId, toolCallId)
                : null;
        }

        private static Guid? MessageIdOf(string payload)
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            return document.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("message_id", out var id) && id.TryGetGuid(out var guid) ? guid : null;
        }
    }
}
