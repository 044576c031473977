using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Soma.Orchestration.Export;

/// <summary>
/// The visualization export hook: after each commit the runner offers the run's graph here; a background loop exports
/// it as JSON and Mermaid to a directory or an HTTP endpoint. Offering never blocks and never fails a run: when the
/// exporter falls behind, the oldest graphs are dropped; an endpoint that keeps failing loses its graph after
/// <see cref="ExportOptions.MaxAttempts"/> attempts.
/// </summary>
public sealed partial class RunGraphExporter : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
    private readonly Channel<RunGraph> _queue = Channel.CreateBounded<RunGraph>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ExportOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the exporter.</summary>
    public RunGraphExporter(IOptions<ExportOptions> options, HttpClient http, TimeProvider time, ILogger<RunGraphExporter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _http = http;
        _time = time;
        _logger = logger;
        Mode = _options.Mode.ToLowerInvariant();
    }

    /// <summary><c>none</c>, <c>http</c> or <c>directory</c>.</summary>
    public string Mode { get; }

    /// <summary>Whether graphs are exported at all.</summary>
    public bool Enabled => Mode != "none";

    /// <summary>Queues a graph for export; returns at once.</summary>
    public void Offer(RunGraph graph)
    {
        if (Enabled)
        {
            _queue.Writer.TryWrite(graph);
        }
    }

    /// <summary>Exports one graph now (what the background loop does for each queued graph).</summary>
    public async Task ExportAsync(RunGraph graph, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (Mode == "directory")
        {
            var folder = Path.Combine(_options.Directory, graph.TenantId);
            System.IO.Directory.CreateDirectory(folder);
            await WriteAtomicallyAsync(Path.Combine(folder, $"{graph.RunId}.json"), JsonSerializer.Serialize(graph, Json), cancellationToken).ConfigureAwait(false);
            await WriteAtomicallyAsync(Path.Combine(folder, $"{graph.RunId}.mmd"), graph.Mermaid, cancellationToken).ConfigureAwait(false);
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await _http.PostAsJsonAsync(_options.Url, graph, Json, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                Log.ExportFailed(_logger, graph.RunId, $"HTTP {(int)response.StatusCode}", attempt);
            }
            catch (HttpRequestException ex)
            {
                Log.ExportFailed(_logger, graph.RunId, ex.Message, attempt);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                Log.ExportFailed(_logger, graph.RunId, ex.Message, attempt);
            }

            if (attempt >= _options.MaxAttempts)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * (1 << attempt)), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var graph in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await ExportAsync(graph, stoppingToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Log.ExportFailed(_logger, graph.RunId, ex.Message, 1);
            }
            catch (UnauthorizedAccessException ex)
            {
                Log.ExportFailed(_logger, graph.RunId, ex.Message, 1);
            }
        }
    }

    private static async Task WriteAtomicallyAsync(string path, string content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, content, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RunGraphExporterExportFailed, Level = LogLevel.Warning, Message = "Could not export the graph of run {RunId} (attempt {Attempt}): {Reason}")]
        public static partial void ExportFailed(ILogger logger, Guid runId, string reason, int attempt);
    }
}
