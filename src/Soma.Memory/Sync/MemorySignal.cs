using Soma.Core.Signals;

namespace Soma.Memory.Sync;

/// <summary>Wakes this process's memory sync worker as soon as a memory write commits here (the fast path).</summary>
public sealed class MemorySignal : WakeSignal;
