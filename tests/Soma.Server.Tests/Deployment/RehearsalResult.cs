namespace Soma.Server.Tests.Deployment;

/// <summary>What the rehearsal measured.</summary>
internal sealed record RehearsalResult(string Mode, IReadOnlyList<RehearsalStep> Steps, TimeSpan ToFirstAnswer, string Answer, IReadOnlyList<string> Deployments);
