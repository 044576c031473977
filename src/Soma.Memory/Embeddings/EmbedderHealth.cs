using Soma.Core.Health;

namespace Soma.Memory.Embeddings;

/// <summary>
/// The <c>embedder</c> component of <c>/v1/health</c>: the configured provider and model and, in process, whether the model
/// is loaded (<c>not loaded</c>, <c>loading</c>, <c>loaded</c>). Degraded when the model cannot load: recall is then by
/// words alone and memories get no vectors.
/// </summary>
internal sealed class EmbedderHealth(EmbedderCatalog catalog) : IHealthReporter
{
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        if (catalog.Configured is not Embedder embedder)
        {
            return Task.FromResult(new ComponentHealth("embedder", HealthStatus.Normal, new Dictionary<string, object?> { ["provider"] = "none" }));
        }

        var details = new Dictionary<string, object?> { ["model"] = embedder.Model, ["provider"] = embedder.Provider };
        var status = HealthStatus.Normal;
        if (embedder.InProcess is { } generator)
        {
            var state = generator.LoadState;
            details["state"] = state switch
            {
                EmbedderLoadState.NotLoaded => "not loaded",
                EmbedderLoadState.Loading => "loading",
                EmbedderLoadState.Loaded => "loaded",
                _ => "failed",
            };
            if (state == EmbedderLoadState.Failed)
            {
                details["error"] = generator.LoadProblem;
                status = HealthStatus.Degraded;
            }
        }

        return Task.FromResult(new ComponentHealth("embedder", status, details));
    }
}
