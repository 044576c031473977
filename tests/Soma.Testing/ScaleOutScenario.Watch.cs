using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Soma.Testing;

public sealed partial class ScaleOutScenario
{
    /// <summary>
    /// One session's <c>GET /v1/sessions/{id}/events</c> read as a browser's EventSource would: frames kept in order,
    /// opened again with <c>Last-Event-ID</c> when the stream ends, answers' finals signalled to the sender.
    /// </summary>
    private sealed class SessionWatch(Guid session, HttpClient client, string gateway) : IDisposable
    {
        private readonly Lock _lock = new();
        private readonly List<Frame> _frames = [];
        private readonly Dictionary<Guid, int> _deltas = [];
        private readonly HashSet<Guid> _final = [];
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> _finals = new();
        private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<string> _errors = [];
        private readonly List<string> _malformed = [];
        private long? _lastId;

        public string Gateway => gateway;

        public Guid Session => session;

        /// <summary>Times the stream ended (or failed) and was opened again.</summary>
        public int Reconnects { get; private set; }

        public bool AnyDelta
        {
            get
            {
                lock (_lock)
                {
                    return _deltas.Count > 0;
                }
            }
        }

        /// <summary>Every frame read, in order.</summary>
        public IReadOnlyList<Frame> Frames
        {
            get
            {
                lock (_lock)
                {
                    return [.. _frames];
                }
            }
        }

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_lock)
                {
                    return [.. _errors];
                }
            }
        }

        /// <summary>Frames that are not the event they say (not JSON, a field missing).</summary>
        public IReadOnlyList<string> Malformed
        {
            get
            {
                lock (_lock)
                {
                    return [.. _malformed];
                }
            }
        }

        public Task OpenedAsync(TimeSpan patience) => _opened.Task.WaitAsync(patience);

        /// <summary>Completes with the answer's content when its <c>conversation.assistant_final</c> arrives.</summary>
        public Task<string> FinalAsync(Guid replyId) => Signal(replyId).Task;

        public int DeltasOf(Guid replyId)
        {
            lock (_lock)
            {
                return _deltas.GetValueOrDefault(replyId);
            }
        }

        public bool IsFinal(Guid replyId)
        {
            lock (_lock)
            {
                return _final.Contains(replyId);
            }
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{session}/events");
                    request.Headers.Accept.ParseAdd("text/event-stream");
                    if (_lastId is { } id)
                    {
                        request.Headers.Add("Last-Event-ID", id.ToString(CultureInfo.InvariantCulture));
                    }

                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        var refusal = new InvalidOperationException(
                            $"{gateway}'s event stream of session {session} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                        _opened.TrySetException(refusal);
                        throw refusal;
                    }

                    // The gateway sends its headers only once it has subscribed: nothing published from now on is missed.
                    _opened.TrySetResult();
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    using var reader = new StreamReader(body, Encoding.UTF8);
                    await ReadAsync(reader, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    lock (_lock)
                    {
                        _errors.Add($"{_clock.Elapsed.TotalSeconds:0.00}s {ex.GetType().Name}: {ex.Message}");
                    }
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                Reconnects++;
                try
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        /// <summary>The frames read so far, one line each, for a failure message.</summary>
        public string Describe()
        {
            var frames = Frames;
            var shown = frames.Count > 80 ? frames.Skip(frames.Count - 80) : frames;
            return $"{gateway}'s stream of session {session} ({frames.Count} frames, {Reconnects} reconnects, errors: {string.Join("; ", Errors)}), last frames:\n"
                + string.Join('\n', shown.Select(f => $"  {f.At:0.00}s {f.Id} {f.Type} {f.MessageId} {f.Index} {Shorten(f.Text)}"));
        }

        public void Dispose()
        {
            foreach (var pending in _finals.Values)
            {
                pending.TrySetCanceled();
            }
        }

        private static string Shorten(string? text) => text is null ? "" : text.Length <= 120 ? text : text[..120] + "…";

        private TaskCompletionSource<string> Signal(Guid replyId) =>
            _finals.GetOrAdd(replyId, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

        private async Task ReadAsync(StreamReader reader, CancellationToken cancellationToken)
        {
            long? id = null;
            string? type = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (type is not null)
                    {
                        try
                        {
                            Add(id, type, data.ToString());
                        }
                        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                        {
                            lock (_lock)
                            {
                                _malformed.Add($"{type} {id}: {ex.Message}: {Shorten(data.ToString())}");
                            }
                        }
                    }

                    (id, type) = (null, null);
                    data.Clear();
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(data.Length > 0 ? "\n" : "").Append(line.AsSpan(6));
                }
            }
        }

        private void Add(long? id, string type, string json)
        {
            using var document = JsonDocument.Parse(json);
            var payload = document.RootElement.TryGetProperty("data", out var d) ? d : default;
            Guid? messageId = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("message_id", out var m) && m.TryGetGuid(out var g) ? g : null;
            var frame = type switch
            {
                "conversation.assistant_delta" => new Frame(_clock.Elapsed.TotalSeconds, id, type, messageId, payload.GetProperty("index").GetInt32(), payload.GetProperty("delta").GetString()),
                "conversation.assistant_final" => new Frame(_clock.Elapsed.TotalSeconds, id, type, messageId, -1, payload.GetProperty("content").GetString()),
                "conversation.error" => new Frame(_clock.Elapsed.TotalSeconds, id, type, messageId, -1, payload.GetRawText()),
                _ => new Frame(_clock.Elapsed.TotalSeconds, id, type, messageId, -1, null),
            };
            lock (_lock)
            {
                _frames.Add(frame);
                if (id is not null)
                {
                    _lastId = id;
                }

                if (messageId is { } message)
                {
                    if (type == "conversation.assistant_delta")
                    {
                        _deltas[message] = _deltas.GetValueOrDefault(message) + 1;
                    }
                    else if (type == "conversation.assistant_final")
                    {
                        _final.Add(message);
                    }
                }
            }

            if (type == "conversation.assistant_final" && messageId is { } reply)
            {
                Signal(reply).TrySetResult(frame.Text ?? "");
            }
        }
    }

    /// <summary>One SSE frame: when it came (seconds since the stream was first opened), its id (durable events), type, answer, delta index and text.</summary>
    private sealed record Frame(double At, long? Id, string Type, Guid? MessageId, int Index, string? Text);
}
