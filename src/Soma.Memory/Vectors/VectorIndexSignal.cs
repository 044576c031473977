using Soma.Core.Signals;

namespace Soma.Memory.Vectors;

/// <summary>Wakes this process's index sync as soon as vectors are saved here.</summary>
public sealed class VectorIndexSignal : WakeSignal;
