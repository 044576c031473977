namespace Soma.Contracts.Events;

/// <summary>The machine a benchmark ran on.</summary>
/// <param name="Os">Operating system.</param>
/// <param name="Cpu">Processor model.</param>
/// <param name="Cores">Logical cores.</param>
/// <param name="Runtime">Runtime version.</param>
/// <param name="MemoryGib">Memory in GiB.</param>
public sealed record MachineInfo(string Os, string Cpu, int Cores, string Runtime, double? MemoryGib = null);
