namespace Soma.Memory.Embeddings;

/// <summary>Where an in-process model is: the <c>state</c> of the <c>embedder</c> component of <c>/v1/health</c>.</summary>
internal enum EmbedderLoadState
{
    /// <summary>Nothing has asked for it yet.</summary>
    NotLoaded,

    /// <summary>Loading on the inference thread; requests wait for it.</summary>
    Loading,

    /// <summary>Ready: a query embeds in milliseconds.</summary>
    Loaded,

    /// <summary>It cannot load (the same build fails the same way every time): recall is by words alone.</summary>
    Failed,
}
