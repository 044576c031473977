using System.Diagnostics;
using System.Diagnostics.Metrics;
using Soma.Core.Telemetry;

namespace Soma.Memory.Embeddings;

/// <summary>The embedding instruments of <see cref="SomaMeters.Memory"/>, tagged with one model and provider.</summary>
internal sealed class EmbeddingMetrics
{
    private readonly Histogram<int>? _batchSize;
    private readonly Histogram<double>? _duration;
    private readonly Counter<long>? _texts;
    private readonly Counter<long>? _failures;
    private readonly TagList _tags;

    public EmbeddingMetrics(IMeterFactory? meterFactory, string model, string provider)
    {
        _tags = new TagList { { "model", model }, { "provider", provider } };
        if (meterFactory is null)
        {
            return;
        }

        var meter = meterFactory.Create(SomaMeters.Memory);
        _batchSize = SomaMeters.MemoryEmbeddingBatchSize.CreateHistogram<int>(meter);
        _duration = SomaMeters.MemoryEmbeddingDuration.CreateHistogram<double>(meter);
        _texts = SomaMeters.MemoryEmbeddingTexts.CreateCounter<long>(meter);
        _failures = SomaMeters.MemoryEmbeddingFailures.CreateCounter<long>(meter);
    }

    public void Embedded(int texts, TimeSpan elapsed)
    {
        _batchSize?.Record(texts, _tags);
        _duration?.Record(elapsed.TotalMilliseconds, _tags);
        _texts?.Add(texts, _tags);
    }

    public void Failed(bool transient)
    {
        if (_failures is null)
        {
            return;
        }

        var tags = _tags;
        tags.Add("kind", transient ? "transient" : "refused");
        _failures.Add(1, tags);
    }
}
