namespace Soma.Testing;

/// <summary>How the OpenAI embeddings stand-in misbehaves (besides <see cref="OpenAiEmbeddingsStandIn.Delay"/> and being stopped).</summary>
public enum OpenAiEmbeddingsFault
{
    /// <summary>Answers as an OpenAI-compatible server would.</summary>
    None,

    /// <summary>500 with OpenAI's error shape.</summary>
    ServerError,

    /// <summary>200 with a body that is not JSON.</summary>
    Malformed,

    /// <summary>200 whose body is cut off by aborting the connection.</summary>
    Cut,

    /// <summary>200 with one vector fewer than the texts sent.</summary>
    WrongCount,

    /// <summary>200 with vectors one dimension longer than <see cref="OpenAiEmbeddingsStandIn.Dimensions"/>.</summary>
    WrongDimensions,
}
