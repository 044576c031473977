namespace Soma.Server.Tests.Deployment;

/// <summary>One step of the rehearsal: how long it took and when it ended, from the first process start.</summary>
internal sealed record RehearsalStep(string Name, TimeSpan Took, TimeSpan At);
