using Soma.Core.Signals;

namespace Soma.Memory.Vectors;

/// <summary>Wakes this process's embedding pass as soon as a memory write commits here.</summary>
public sealed class EmbeddingSignal : WakeSignal;
