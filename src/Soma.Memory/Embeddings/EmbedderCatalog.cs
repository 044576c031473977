using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>Makes the configured embedder and in-process ones by id, each once; disposes them (and their ONNX sessions) with itself.</summary>
internal sealed class EmbedderCatalog : IEmbedderCatalog, IDisposable
{
    private readonly EmbeddingOptions _options;
    private readonly IMeterFactory? _meterFactory;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly Lazy<Embedder?> _configured;
    private readonly ConcurrentDictionary<string, Lazy<Embedder>> _inProcess = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    public EmbedderCatalog(IOptions<EmbeddingOptions> options, IMeterFactory? meterFactory = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _meterFactory = meterFactory;
        _loggerFactory = loggerFactory;
        _configured = new Lazy<Embedder?>(CreateConfigured, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public IEmbedder? Configured => Get(_configured);

    IReadOnlyList<string> IEmbedderCatalog.InProcessModels => Embeddings.InProcessModels.Ids;

    public bool TryGet(string model, [NotNullWhen(true)] out IEmbedder? embedder)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Configured is { } configured && string.Equals(configured.Model, model.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            embedder = configured;
            return true;
        }

        if (Embeddings.InProcessModels.Find(model) is { } known)
        {
            embedder = Get(_inProcess.GetOrAdd(known.Profile.Model, _ => new Lazy<Embedder>(() => InProcess(known, known.Profile))));
            return embedder is not null;
        }

        embedder = null;
        return false;
    }

    public void Dispose()
    {
        _disposed = true;
        if (_configured.IsValueCreated)
        {
            _configured.Value?.Dispose();
        }

        foreach (var lazy in _inProcess.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }
    }

    private T Get<T>(Lazy<T> lazy)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return lazy.Value;
    }

    private Embedder? CreateConfigured()
    {
        var options = _options;
        if (options.IsNone)
        {
            return null;
        }

        var known = Embeddings.InProcessModels.Find(options.Model);
        if (options.IsOpenAI)
        {
            var profile = new EmbeddingProfile(
                known?.Profile.Model ?? options.Model.Trim(),
                options.Dimensions ?? known?.Profile.Dimensions ?? throw Missing("Dimensions"),
                known?.Profile.QueryPrefix ?? "",
                known?.Profile.DocumentPrefix ?? "",
                options.MatchFloor ?? known?.Profile.MatchFloor ?? throw Missing("MatchFloor"));
            var generator = new OpenAiEmbeddingGenerator(
                options.BaseUrl ?? throw Missing("BaseUrl"),
                options.Model.Trim(),
                options.ApiKey,
                profile.Dimensions,
                options.Timeout,
                _meterFactory,
                _loggerFactory?.CreateLogger<OpenAiEmbeddingGenerator>());
            return new Embedder(generator, profile);
        }

        var model = known ?? throw new InvalidOperationException(
            $"{EmbeddingOptions.SectionName}:Model '{options.Model}' is not an in-process model; known models: {string.Join(", ", Embeddings.InProcessModels.Ids)}.");

        // The configured model is the catalog's in-process one too, so TryGet of its id never loads a second copy.
        var embedder = _inProcess.GetOrAdd(model.Profile.Model, _ => new Lazy<Embedder>(() => InProcess(model, model.Profile with
        {
            MatchFloor = options.MatchFloor ?? model.Profile.MatchFloor,
        }))).Value;
        return embedder;
    }

    private Embedder InProcess(InProcessModel model, EmbeddingProfile profile) =>
        new(new InProcessEmbeddingGenerator(
                model,
                _options.Threads,
                _options.BatchSize,
                _options.QueueCapacity,
                _options.Timeout,
                _meterFactory,
                _loggerFactory?.CreateLogger<InProcessEmbeddingGenerator>()),
            profile);

    private static InvalidOperationException Missing(string key) =>
        new($"{EmbeddingOptions.SectionName}:{key} must be set when {EmbeddingOptions.SectionName}:Provider is '{EmbeddingOptions.OpenAIProvider}'.");
}
