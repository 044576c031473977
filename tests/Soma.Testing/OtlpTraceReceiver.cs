using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Soma.Testing;

/// <summary>
/// A stand-in for an OpenTelemetry collector: accepts OTLP/HTTP trace exports (<c>POST /v1/traces</c>, protobuf) on
/// loopback and keeps, per span, the exporting service, trace id, span id, parent span id and name. The protobuf is read
/// field by field from the wire format (only the few fields a test looks at), so no OTLP proto package is needed.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private WebApplication _app = null!;
    private long _requests;
    private long _bytes;

    private OtlpTraceReceiver()
    {
    }

    /// <summary>The base address to put in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>When false, exports are accepted and counted but not decoded (a collector that just takes them).</summary>
    public bool Decode { get; init; } = true;

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>How many export requests arrived.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>How many bytes of exports arrived.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Starts listening on a free loopback port.</summary>
    public static async Task<OtlpTraceReceiver> StartAsync(bool decode = true)
    {
        var receiver = new OtlpTraceReceiver { Decode = decode };
        var (app, port) = await LoopbackListener.StartAsync(receiver.HandleAsync);
        receiver._app = app;
        receiver.Endpoint = $"http://127.0.0.1:{port}";
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        // A collector is not traced: when it shares a process with a traced server (a benchmark), its own request spans
        // would be exported to it again, one more with every export.
        if (Activity.Current is { } own)
        {
            own.IsAllDataRequested = false;
            own.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }

        if (context.Request.Method != "POST" || context.Request.Path != "/v1/traces")
        {
            context.Response.StatusCode = 404;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, body.Length);
        if (Decode)
        {
            foreach (var span in Parse(body.ToArray()))
            {
                _spans.Enqueue(span);
            }
        }

        // An empty ExportTraceServiceResponse: everything accepted.
        context.Response.ContentType = "application/x-protobuf";
        context.Response.StatusCode = 200;
    }

    /// <summary>The spans of one <c>ExportTraceServiceRequest</c>.</summary>
    public static List<ReceivedSpan> Parse(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        var reader = new Wire(request);
        while (reader.Next(out var field, out var value))
        {
            if (field == 1)
            {
                ResourceSpans(value, spans);
            }
        }

        return spans;
    }

    private static void ResourceSpans(ReadOnlySpan<byte> message, List<ReceivedSpan> spans)
    {
        string? service = null;
        var reader = new Wire(message);
        var scopes = new List<byte[]>();
        while (reader.Next(out var field, out var value))
        {
            if (field == 1)
            {
                // Resource { repeated KeyValue attributes = 1 }
                var resource = new Wire(value);
                while (resource.Next(out var f, out var attribute))
                {
                    if (f == 1 && KeyValue(attribute) is ("service.name", { } name))
                    {
                        service = name;
                    }
                }
            }
            else if (field == 2)
            {
                scopes.Add(value.ToArray());
            }
        }

        foreach (var scope in scopes)
        {
            // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2 }
            var reader2 = new Wire(scope);
            string? scopeName = null;
            var raw = new List<byte[]>();
            while (reader2.Next(out var field, out var value))
            {
                if (field == 1)
                {
                    var s = new Wire(value);
                    while (s.Next(out var f, out var v))
                    {
                        if (f == 1)
                        {
                            scopeName = Encoding.UTF8.GetString(v);
                        }
                    }
                }
                else if (field == 2)
                {
                    raw.Add(value.ToArray());
                }
            }

            foreach (var span in raw)
            {
                spans.Add(Span(span, service ?? "", scopeName ?? ""));
            }
        }
    }

    private static ReceivedSpan Span(ReadOnlySpan<byte> message, string service, string scope)
    {
        // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5 }
        string traceId = "", spanId = "", parent = "", name = "";
        var reader = new Wire(message);
        while (reader.Next(out var field, out var value))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Encoding.UTF8.GetString(value); break;
                default: break;
            }
        }

        return new ReceivedSpan(service, scope, traceId, spanId, parent, name);
    }

    private static (string Key, string? Value) KeyValue(ReadOnlySpan<byte> message)
    {
        string key = "";
        string? text = null;
        var reader = new Wire(message);
        while (reader.Next(out var field, out var value))
        {
            if (field == 1)
            {
                key = Encoding.UTF8.GetString(value);
            }
            else if (field == 2)
            {
                var any = new Wire(value);
                while (any.Next(out var f, out var v))
                {
                    if (f == 1)
                    {
                        text = Encoding.UTF8.GetString(v);
                    }
                }
            }
        }

        return (key, text);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A protobuf wire-format reader: yields each field's number and, for length-delimited fields, its bytes.</summary>
    private ref struct Wire(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Next(out int field, out ReadOnlySpan<byte> value)
        {
            value = default;
            field = 0;
            while (_position < _data.Length)
            {
                var tag = Varint();
                field = (int)(tag >> 3);
                switch ((int)(tag & 7))
                {
                    case 0:
                        Varint();
                        continue;
                    case 1:
                        _position += 8;
                        continue;
                    case 5:
                        _position += 4;
                        continue;
                    case 2:
                        var length = (int)Varint();
                        value = _data.Slice(_position, length);
                        _position += length;
                        return true;
                    default:
                        throw new InvalidDataException($"Unsupported protobuf wire type {tag & 7}.");
                }
            }

            return false;
        }

        private ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _data[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }
        }
    }
}

/// <summary>One span an exporter sent.</summary>
/// <param name="Service">The exporting process's <c>service.name</c>.</param>
/// <param name="Scope">The instrumentation scope (activity source) name.</param>
/// <param name="TraceId">Hex trace id.</param>
/// <param name="SpanId">Hex span id.</param>
/// <param name="ParentSpanId">Hex parent span id, empty for a root.</param>
/// <param name="Name">The span name.</param>
public sealed record ReceivedSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name);
