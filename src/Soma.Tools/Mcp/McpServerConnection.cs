using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Soma.Core.Sandbox;
using Soma.Tools.Registry;

namespace Soma.Tools.Mcp;

/// <summary>
/// One configured MCP server: connects (a sandboxed process over stdio, or HTTP), lists its tools, and on a crash or a
/// broken connection keeps its last tool list (whose calls answer <c>mcp.unavailable</c>) and reconnects with a
/// doubling delay. Calls never throw, except the caller's own cancellation.
/// </summary>
internal sealed partial class McpServerConnection
{
    private static readonly JsonElement EmptySchema = JsonElement.Parse("""{"type":"object","properties":{}}""");

    private readonly McpOptions _root;
    private readonly McpServerOptions _options;
    private readonly IToolSandbox? _sandbox;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private McpClient? _client;
    private TaskCompletionSource _broken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyCollection<ITool> _tools = [];
    private McpServerState _state = McpServerState.Connecting;
    private string? _problem;
    private int _connections;

    public McpServerConnection(string name, McpOptions root, McpServerOptions options, IToolSandbox? sandbox, ILoggerFactory loggers, TimeProvider time)
    {
        Name = name;
        _root = root;
        _options = options;
        _sandbox = sandbox;
        _loggers = loggers;
        _logger = loggers.CreateLogger<McpServerConnection>();
        _time = time;
    }

    /// <summary>The configured name.</summary>
    public string Name { get; }

    /// <summary>Whether the server is a sandboxed process over stdio (else HTTP).</summary>
    public bool IsStdio => _options.IsStdio;

    /// <summary>The tools it offers (the last list while it is down).</summary>
    public IReadOnlyCollection<ITool> Tools => Volatile.Read(ref _tools);

    /// <summary>The host folder bound at <c>/workspace</c> for a stdio server.</summary>
    public string Workspace => Path.Combine(string.IsNullOrEmpty(_root.WorkspaceRoot) ? Path.Combine(Path.GetTempPath(), "soma-mcp") : _root.WorkspaceRoot, Name);

    /// <summary>Raised when <see cref="Tools"/> was replaced.</summary>
    public event EventHandler? Changed;

    /// <summary>Where the server is now.</summary>
    public McpServerStatus Status => new(Name, IsStdio ? "stdio" : "http", _state, Tools.Count, Volatile.Read(ref _connections), _problem);

    /// <summary>Connects, and reconnects after every failure, until <paramref name="stoppingToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(_root.ReconnectDelayMilliseconds);
        var maxDelay = TimeSpan.FromSeconds(_root.ReconnectMaxSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            McpClient? client = null;
            try
            {
                _state = McpServerState.Connecting;
                var broken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _broken, broken);
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    connecting.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
                    client = await McpClient.CreateAsync(CreateTransport(), ClientOptions(), _loggers, connecting.Token).ConfigureAwait(false);
                    await RefreshToolsAsync(client, connecting.Token).ConfigureAwait(false);
                }

                client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification, async (_, cancellationToken) =>
                {
                    try
                    {
                        await RefreshToolsAsync(client, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.ListFailed(_logger, ex, Name);
                    }
                });
                Volatile.Write(ref _client, client);
                Interlocked.Increment(ref _connections);
                _problem = null;
                _state = McpServerState.Connected;
                delay = TimeSpan.FromMilliseconds(_root.ReconnectDelayMilliseconds);
                Log.Connected(_logger, Name, Tools.Count);

                var ended = await Task.WhenAny(client.Completion, broken.Task).WaitAsync(stoppingToken).ConfigureAwait(false);
                _problem = ended == client.Completion ? Ending(client.Completion.Result) : "the connection failed during a call";
                Log.Disconnected(_logger, Name, _problem);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _problem = ex is OperationCanceledException ? $"it did not connect within {_options.TimeoutSeconds} s" : Describe(ex);
                Log.ConnectFailed(_logger, ex, Name, _problem);
            }
            finally
            {
                Volatile.Write(ref _client, null);
                _state = McpServerState.Unavailable;
                if (client is not null)
                {
                    await DisposeQuietlyAsync(client).ConfigureAwait(false);
                }
            }

            try
            {
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
        }
    }

    /// <summary>Calls <paramref name="tool"/> on the server; progress notifications become output chunks.</summary>
    public async ValueTask<ToolResult> CallAsync(McpTool tool, JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        var client = Volatile.Read(ref _client);
        if (client is null)
        {
            return Unavailable();
        }

        var progress = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var pump = PumpAsync(progress.Reader, context.Output, cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            var values = arguments.ValueKind == JsonValueKind.Object
                ? arguments.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
                : [];
            var result = await client.CallToolAsync(tool.RemoteName, values, new ChannelProgress(progress.Writer), cancellationToken: limit.Token).ConfigureAwait(false);
            progress.Writer.TryComplete();
            await pump.ConfigureAwait(false);
            var text = Text(result);
            var sandbox = _sandbox?.Name == "gvisor" ? Soma.Contracts.Events.Sandbox.Gvisor : IsStdio ? Soma.Contracts.Events.Sandbox.Bubblewrap : Soma.Contracts.Events.Sandbox.None;
            return (result.IsError == true
                ? ToolResult.Failed("mcp.tool_error", text.Length > 0 ? text : $"The MCP tool '{tool.RemoteName}' reported an error.")
                : new ToolResult(text)) with
            { Sandbox = sandbox };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's timeout or stop: the SDK has told the server (notifications/cancelled); the invoker reports it.
            throw;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            return ToolResult.Failed("tool.timeout", $"The MCP server '{Name}' did not answer within {_options.TimeoutSeconds} s.");
        }
        catch (McpProtocolException ex)
        {
            // A JSON-RPC error from the server (an unknown tool, bad parameters): its message is the tool's answer.
            return ToolResult.Failed("mcp.tool_error", $"The MCP server '{Name}' answered with an error: {ex.Message}");
        }
        catch (Exception ex)
        {
            // The process died or the connection broke mid-call (the SDK reports that as an I/O error or a cancellation).
            Log.CallFailed(_logger, ex, Name, tool.RemoteName);
            Volatile.Read(ref _broken).TrySetResult();
            return Unavailable();
        }
        finally
        {
            progress.Writer.TryComplete();
            await pump.ConfigureAwait(false);
        }
    }

    private ToolResult Unavailable() =>
        ToolResult.Failed("mcp.unavailable", $"The MCP server '{Name}' is not available{(_problem is null ? string.Empty : $" ({_problem})")}; it is reconnecting, try again later.");

    private async Task RefreshToolsAsync(McpClient client, CancellationToken cancellationToken)
    {
        var listed = await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var tools = new List<ITool>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var remote in listed)
        {
            var name = McpToolNames.For(Name, remote.Name);
            if (!names.Add(name))
            {
                Log.DuplicateTool(_logger, Name, remote.Name, name);
                continue;
            }

            var schema = remote.ProtocolTool.InputSchema.ValueKind == JsonValueKind.Object ? remote.ProtocolTool.InputSchema.Clone() : EmptySchema;
            tools.Add(new McpTool(this, remote.Name, name, remote.Description ?? string.Empty, schema));
        }

        Volatile.Write(ref _tools, tools.AsReadOnly());
        Changed?.Invoke(this, EventArgs.Empty);
    }

    private IClientTransport CreateTransport()
    {
        if (!IsStdio)
        {
            // Headers carry secrets: the HTTP transport gets no logger, so nothing of a request is ever logged.
            return new HttpClientTransport(
                new HttpClientTransportOptions
                {
                    Endpoint = new Uri(_options.Url!),
                    Name = Name,
                    AdditionalHeaders = new Dictionary<string, string>(_options.Headers, StringComparer.OrdinalIgnoreCase),
                    ConnectionTimeout = TimeSpan.FromSeconds(_options.TimeoutSeconds),
                },
                NullLoggerFactory.Instance);
        }

        var sandbox = _sandbox!;
        if (!sandbox.Availability.Available)
        {
            throw new InvalidOperationException($"the {sandbox.Name} sandbox cannot run here: {sandbox.Availability.Problem}");
        }

        Directory.CreateDirectory(Workspace);
        var command = new SandboxCommand([_options.Command!, .. _options.Arguments], Workspace, Limits)
        {
            Environment = new Dictionary<string, string>(_options.Environment, StringComparer.Ordinal),
        };
        var launch = sandbox.Prepare(command);
        return new StdioClientTransport(
            new StdioClientTransportOptions
            {
                Command = launch.FileName,
                Arguments = [.. launch.Arguments],
                EnvironmentVariables = launch.Environment.ToDictionary(e => e.Key, e => (string?)e.Value, StringComparer.Ordinal),
                InheritEnvironmentVariables = false,
                WorkingDirectory = Workspace,
                Name = Name,
                ShutdownTimeout = TimeSpan.FromSeconds(2),
                StandardErrorLines = line => Log.ServerStderr(_logger, Name, line.Length > 500 ? line[..500] : line),
            },
            _loggers);
    }

    /// <summary>The sandbox's limits for a long-lived server: its CPU budget is an hour (spent, the server is killed and reconnected).</summary>
    internal SandboxLimits Limits { get; init; } = SandboxLimits.Default with { CpuSeconds = 3600 };

    private static McpClientOptions ClientOptions() => new()
    {
        ClientInfo = new Implementation { Name = "soma", Version = typeof(McpServerConnection).Assembly.GetName().Version?.ToString() ?? "0" },
    };

    private static string Text(CallToolResult result)
    {
        var text = new StringBuilder();
        foreach (var block in result.Content)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(block switch
            {
                TextContentBlock t => t.Text,
                ImageContentBlock => "[image]",
                AudioContentBlock => "[audio]",
                _ => $"[{block.Type}]",
            });
        }

        if (text.Length == 0 && result.StructuredContent is { } structured)
        {
            text.Append(structured.GetRawText());
        }

        return text.ToString();
    }

    private static async Task PumpAsync(ChannelReader<string> reader, IToolOutput output, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await output.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The call is over (timed out or stopped): the progress so far was written, the rest is dropped.
        }
    }

    private static string Ending(ClientCompletionDetails details) => details switch
    {
        StdioClientCompletionDetails { ExitCode: { } code } => $"the process exited with code {code}",
        HttpClientCompletionDetails { HttpStatusCode: { } status } => $"the server answered HTTP {(int)status}",
        { Exception: { } ex } => Describe(ex),
        _ => "the connection closed",
    };

    private static string Describe(Exception ex) => ex switch
    {
        ClientTransportClosedException { Details: { Exception: not ClientTransportClosedException } details } => Ending(details),
        HttpRequestException http => http.StatusCode is { } status ? $"the server answered HTTP {(int)status}" : "the server could not be reached",
        InvalidOperationException => ex.Message,
        _ => ex.GetType().Name,
    };

    private async Task DisposeQuietlyAsync(McpClient client)
    {
        try
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.DisposeFailed(_logger, ex, Name);
        }
    }

    // The SDK handles notifications concurrently, so they can arrive out of order; progress only grows (the MCP spec
    // says so), so a report older than one already written is stale and dropped rather than shown going backwards.
    private sealed class ChannelProgress(ChannelWriter<string> writer) : IProgress<ProgressNotificationValue>
    {
        private readonly Lock _gate = new();
        private float _last = float.NegativeInfinity;

        public void Report(ProgressNotificationValue value)
        {
            lock (_gate)
            {
                if (value.Progress <= _last)
                {
                    return;
                }

                _last = value.Progress;
                writer.TryWrite((value.Message ?? (value.Total is { } total ? $"{value.Progress}/{total}" : $"{value.Progress}")) + "\n");
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.McpServerConnectionConnected, Level = LogLevel.Information, Message = "MCP server {Server} connected with {Tools} tools")]
        public static partial void Connected(ILogger logger, string server, int tools);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionDisconnected, Level = LogLevel.Warning, Message = "MCP server {Server} disconnected: {Problem}; reconnecting")]
        public static partial void Disconnected(ILogger logger, string server, string problem);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionConnectFailed, Level = LogLevel.Warning, Message = "MCP server {Server} could not connect: {Problem}; retrying")]
        public static partial void ConnectFailed(ILogger logger, Exception exception, string server, string problem);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionCallFailed, Level = LogLevel.Warning, Message = "MCP server {Server} failed during a call of {Tool}; reconnecting")]
        public static partial void CallFailed(ILogger logger, Exception exception, string server, string tool);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionDuplicateTool, Level = LogLevel.Warning, Message = "MCP server {Server} lists two tools named {Name} here; {Tool} is left out")]
        public static partial void DuplicateTool(ILogger logger, string server, string tool, string name);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionListFailed, Level = LogLevel.Warning, Message = "MCP server {Server}: its tool list could not be refreshed")]
        public static partial void ListFailed(ILogger logger, Exception exception, string server);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionServerStderr, Level = LogLevel.Debug, Message = "MCP server {Server} stderr: {Line}")]
        public static partial void ServerStderr(ILogger logger, string server, string line);

        [LoggerMessage(EventId = LogEvents.McpServerConnectionDisposeFailed, Level = LogLevel.Debug, Message = "MCP server {Server}: closing the connection failed")]
        public static partial void DisposeFailed(ILogger logger, Exception exception, string server);
    }
}
