using System.Globalization;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// Idempotency keys for steps with side effects: <c>{runId:N}/{stepDefinitionId}/{loopIteration}</c>, e.g.
/// <c>0190f3c2a1b27c3e8d4f5a6b7c8d9e0f/charge/0</c>. The key never includes the attempt, so every retry and every
/// resume of the same execution presents the same key and the effect happens at most once. Step definition ids are
/// unique across a whole workflow (loop bodies included), so the key names exactly one execution. The format is
/// stored by downstream systems and must not change.
/// </summary>
public static class EffectKeys
{
    /// <summary>The idempotency key of one execution of a side-effecting step.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="stepId">The step definition id (not the step key), e.g. <c>call</c>.</param>
    /// <param name="loopIteration">The loop iteration (0 outside loops).</param>
    public static string For(Guid runId, string stepId, int loopIteration)
    {
        ArgumentException.ThrowIfNullOrEmpty(stepId);
        ArgumentOutOfRangeException.ThrowIfNegative(loopIteration);
        return string.Create(CultureInfo.InvariantCulture, $"{runId:N}/{stepId}/{loopIteration}");
    }
}
