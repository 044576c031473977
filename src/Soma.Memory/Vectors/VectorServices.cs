using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;

namespace Soma.Memory.Vectors;

/// <summary>
/// Runs the <see cref="VectorIndexSync"/> when the store keeps vectors, and the <see cref="EmbeddingWorker"/> when an
/// embedder is configured as well (and starts loading an in-process model, unless <c>LoadAtStart</c> is false); with
/// neither, recall stays by words and nothing runs.
/// </summary>
internal sealed class VectorServices(IServiceProvider services) : IHostedService
{
    private readonly List<IHostedService> _running = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IMemoryVectorStore>() is null)
        {
            return;
        }

        _running.Add(services.GetRequiredService<VectorIndexSync>());
        if (services.GetService<IEmbedder>() is { } embedder)
        {
            if (embedder is Embedder { InProcess: { } model } && services.GetRequiredService<IOptions<EmbeddingOptions>>().Value.LoadAtStart)
            {
                model.LoadInBackground();
            }

            _running.Add(services.GetRequiredService<EmbeddingWorker>());
        }

        foreach (var service in _running)
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var service in Enumerable.Reverse(_running))
        {
            await service.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
