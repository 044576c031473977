using Microsoft.ML.OnnxRuntime;
using SentenceTransformers;

namespace Soma.Memory.Embeddings;

/// <summary>An in-process model: its profile and how to load it.</summary>
/// <param name="Profile">Id, dimensions, prefixes and floor.</param>
/// <param name="Load">Creates the encoder (and its ONNX session) with the given session options.</param>
internal sealed record InProcessModel(EmbeddingProfile Profile, Func<SessionOptions, ISentenceEncoder> Load);
