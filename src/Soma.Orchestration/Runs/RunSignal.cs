using Soma.Core.Signals;

namespace Soma.Orchestration.Runs;

/// <summary>Wakes this process's run worker as soon as a run is accepted here.</summary>
public sealed class RunSignal : WakeSignal;
