using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>
/// An in-process model (<see cref="InProcessModels"/>) behind MEAI's embedding generator. Requests wait in two bounded
/// queues, one for recall queries and one for memory documents, in front of one inference loop on its own thread. The
/// loop coalesces whatever is waiting into a batch of up to <c>BatchSize</c> texts, queries first, so a recall never
/// waits behind more than the one batch already running; a request larger than a batch is split across batches, and
/// a query that arrives meanwhile goes into the next one. A full queue fails the request at once (transient) instead of
/// letting callers pile up. The model loads on the loop's thread (about 1 s, several on a busy machine) when the loop
/// starts: at the first request, or earlier through <see cref="LoadInBackground"/> (the memory service calls it as it
/// starts, so its first recall finds the model ready); a start-up never waits for it.
/// </summary>
internal sealed partial class InProcessEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const string ProviderName = "inprocess";

    private readonly InProcessModel _model;
    private readonly int _threads;
    private readonly int _batchSize;
    private readonly TimeSpan _timeout;
    private readonly Action<SessionOptions>? _configureSession;
    private readonly EmbeddingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<Request> _queries;
    private readonly Channel<Request> _documents;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Thread? _loop;
    private bool _disposed;

    // Owned by the loop's thread.
    private SessionOptions? _sessionOptions;
    private ISentenceEncoder? _encoder;
    private volatile EmbeddingException? _loadFailure;
    private Request? _carriedQuery;
    private Request? _carriedDocument;

    /// <summary>Creates the generator; nothing is loaded until the first request.</summary>
    /// <param name="model">The model to run.</param>
    /// <param name="threads">ONNX Runtime's intra-op threads.</param>
    /// <param name="batchSize">The most texts one inference takes.</param>
    /// <param name="queueCapacity">Requests that may wait, for each purpose.</param>
    /// <param name="timeout">How long a request may take, waiting included.</param>
    /// <param name="meterFactory">Where the embedding metrics go, if anywhere.</param>
    /// <param name="logger">Logs the model's load and failures.</param>
    /// <param name="configureSession">Adjusts the ONNX session options after ours (tests use it to make a load fail).</param>
    public InProcessEmbeddingGenerator(
        InProcessModel model,
        int threads,
        int batchSize,
        int queueCapacity,
        TimeSpan timeout,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory = null,
        ILogger? logger = null,
        Action<SessionOptions>? configureSession = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        _model = model;
        _threads = threads;
        _batchSize = batchSize;
        _timeout = timeout;
        _configureSession = configureSession;
        _metrics = new EmbeddingMetrics(meterFactory, model.Profile.Model, ProviderName);
        _logger = logger ?? NullLogger.Instance;
        var queue = new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait };
        _queries = Channel.CreateBounded<Request>(queue);
        _documents = Channel.CreateBounded<Request>(queue);
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, model.Profile.Model, model.Profile.Dimensions);
    }

    /// <summary>Where the model is: not loaded yet, loading, loaded, or failed to load (for good).</summary>
    public EmbedderLoadState LoadState =>
        _loadFailure is not null ? EmbedderLoadState.Failed
        : Volatile.Read(ref _encoder) is not null ? EmbedderLoadState.Loaded
        : Volatile.Read(ref _loop) is not null ? EmbedderLoadState.Loading // the loop loads the model before anything else
        : EmbedderLoadState.NotLoaded;

    /// <summary>Why the model could not be loaded, once <see cref="LoadState"/> is <see cref="EmbedderLoadState.Failed"/>.</summary>
    public string? LoadProblem => _loadFailure?.Message;

    /// <summary>The provider (<c>inprocess</c>), the model's id and its dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    /// <remarks>
    /// The purpose comes from <see cref="EmbeddingPurposes"/> in <paramref name="options"/> (documents when absent).
    /// Failures are <see cref="EmbeddingException"/>s: a full queue, a timeout, a shut-down generator (transient); a
    /// model that cannot load (not transient); an inference that fails (not transient when the batch held only this
    /// request, else transient: another request's text may be the cause).
    /// </remarks>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToArray();
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentException($"values[{i}] is null.", nameof(values));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (texts.Length == 0)
        {
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>());
        }

        if (!EnsureStarted())
        {
            return Task.FromException<GeneratedEmbeddings<Embedding<float>>>(ShutDown());
        }

        var purpose = EmbeddingPurposes.Of(options);
        var request = new Request(texts);
        if (!(purpose == EmbeddingPurpose.Query ? _queries : _documents).Writer.TryWrite(request))
        {
            _metrics.Failed(transient: true);
            return Task.FromException<GeneratedEmbeddings<Embedding<float>>>(Volatile.Read(ref _disposed)
                ? ShutDown()
                : new EmbeddingException(
                    string.Create(CultureInfo.InvariantCulture, $"The in-process model {_model.Profile.Model} is busy: its {purpose.ToString().ToLowerInvariant()} queue is full; try again later."),
                    isTransient: true));
        }

        return WaitAsync(request, cancellationToken);
    }

    /// <summary>Starts loading the model on the loop's thread now, without waiting for it; requests that come meanwhile wait for the load.</summary>
    public void LoadInBackground() => EnsureStarted();

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Stops the loop (after the batch it is running), fails the requests still waiting, and releases the ONNX session.</summary>
    public void Dispose()
    {
        Thread? loop;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            Volatile.Write(ref _disposed, true);
            loop = _loop;
        }

        _stopping.Cancel();
        _queries.Writer.TryComplete();
        _documents.Writer.TryComplete();
        loop?.Join();
        FailWaiting(ShutDown());
        (_encoder as IDisposable)?.Dispose();
        _sessionOptions?.Dispose();
        _stopping.Dispose();
    }

    private async Task<GeneratedEmbeddings<Embedding<float>>> WaitAsync(Request request, CancellationToken cancellationToken)
    {
        float[][] vectors;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(_timeout);
            try
            {
                vectors = await request.Completion.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!request.Completion.TrySetCanceled(CancellationToken.None))
                {
                    // Finished as the deadline passed: the answer (or the loop's failure) stands.
                    vectors = await request.Completion.Task.ConfigureAwait(false);
                    return Embeddings(vectors);
                }

                _metrics.Failed(transient: true);
                throw new EmbeddingException(
                    string.Create(CultureInfo.InvariantCulture, $"The in-process model {_model.Profile.Model} did not embed {request.Texts.Length} text(s) within {_timeout.TotalMilliseconds} ms."),
                    isTransient: true);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The loop skips what is left of an abandoned request.
                request.Completion.TrySetCanceled(cancellationToken);
                throw;
            }
        }

        return Embeddings(vectors);
    }

    private GeneratedEmbeddings<Embedding<float>> Embeddings(float[][] vectors)
    {
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
        foreach (var vector in vectors)
        {
            embeddings.Add(new Embedding<float>(vector) { ModelId = _model.Profile.Model });
        }

        return embeddings;
    }

    private bool EnsureStarted()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            if (_loop is null)
            {
                _loop = new Thread(Run) { IsBackground = true, Name = "soma-embedding-" + _model.Profile.Model };
                _loop.Start();
            }

            return true;
        }
    }

    private EmbeddingException ShutDown() =>
        new($"The in-process model {_model.Profile.Model} is shutting down.", isTransient: true);

    private void FailWaiting(EmbeddingException failure)
    {
        _carriedQuery?.Completion.TrySetException(failure);
        _carriedDocument?.Completion.TrySetException(failure);
        _carriedQuery = _carriedDocument = null;
        foreach (var reader in new[] { _queries.Reader, _documents.Reader })
        {
            while (reader.TryRead(out var request))
            {
                request.Completion.TrySetException(failure);
            }
        }
    }

    private sealed class Request(string[] texts)
    {
        public string[] Texts { get; } = texts;

        public float[][] Vectors { get; } = new float[texts.Length][];

        public TaskCompletionSource<float[][]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // The loop's cursors: the next text to put in a batch, and the texts whose vectors are still missing.
        public int Next { get; set; }

        public int Missing { get; set; } = texts.Length;
    }

    private readonly record struct Segment(Request Request, int Start, int Count);

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.EmbeddingModelLoaded, Level = LogLevel.Information, Message = "Embedding model {Model} loaded in {Milliseconds} ms ({Threads} threads)")]
        public static partial void ModelLoaded(ILogger logger, string model, long milliseconds, int threads);

        [LoggerMessage(EventId = LogEvents.EmbeddingModelLoadFailed, Level = LogLevel.Error, Message = "Embedding model {Model} could not be loaded")]
        public static partial void ModelLoadFailed(ILogger logger, string model, Exception exception);

        [LoggerMessage(EventId = LogEvents.EmbeddingInferenceFailed, Level = LogLevel.Error, Message = "Embedding model {Model} failed on a batch of {Texts} texts from {Requests} requests")]
        public static partial void InferenceFailed(ILogger logger, string model, int texts, int requests, Exception exception);
    }
}
