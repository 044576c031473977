using System.Text.Json;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// Everything a step may read while it runs. The runner builds one per attempt; values that would make a step
/// non-deterministic (time, randomness) come from here so that a replay sees the same ones.
/// </summary>
public sealed class StepContext
{
    private readonly Func<Random> _makeRandom;
    private Random? _random;

    /// <summary>Creates the context of one attempt of one step.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="tenantId">The tenant that owns the run.</param>
    /// <param name="stepId">The step key (see <see cref="StepKeys"/>), e.g. <c>fetch</c> or <c>tools[2]/call</c>.</param>
    /// <param name="attempt">The attempt number, starting at 1.</param>
    /// <param name="loopIteration">The loop iteration, starting at 0; 0 outside loops.</param>
    /// <param name="idempotencyKey">The key of the step's side effect (<see cref="EffectKeys.For"/>), or null for a step without side effects.</param>
    /// <param name="input">The run's input.</param>
    /// <param name="outputs">Outputs of the steps this step depends on, by step definition id.</param>
    /// <param name="now">The run clock's time for this attempt.</param>
    /// <param name="random">The random source, seeded per (run, step key, attempt).</param>
    /// <param name="resumeInput">The input the run was resumed with when this step had asked to wait, else null.</param>
    public StepContext(
        Guid runId,
        string tenantId,
        string stepId,
        int attempt,
        int loopIteration,
        string? idempotencyKey,
        JsonElement input,
        IReadOnlyDictionary<string, JsonElement> outputs,
        DateTimeOffset now,
        Random random,
        JsonElement? resumeInput = null)
        : this(runId, tenantId, stepId, attempt, loopIteration, idempotencyKey, input, outputs, now, random is null ? null! : () => random, resumeInput)
    {
    }

    // The runner's: the seeded source is made when a step first reads it (most never do; seeding one costs about as much
    // as the rest of the context).
    internal StepContext(
        Guid runId,
        string tenantId,
        string stepId,
        int attempt,
        int loopIteration,
        string? idempotencyKey,
        JsonElement input,
        IReadOnlyDictionary<string, JsonElement> outputs,
        DateTimeOffset now,
        Func<Random> random,
        JsonElement? resumeInput)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(stepId);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(loopIteration);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(random);
        if (idempotencyKey is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        }

        RunId = runId;
        TenantId = tenantId;
        StepId = stepId;
        Attempt = attempt;
        LoopIteration = loopIteration;
        IdempotencyKey = idempotencyKey;
        Input = input;
        Outputs = outputs;
        Now = now;
        _makeRandom = random;
        ResumeInput = resumeInput;
    }

    /// <summary>The run.</summary>
    public Guid RunId { get; }

    /// <summary>The tenant that owns the run.</summary>
    public string TenantId { get; }

    /// <summary>The step key (see <see cref="StepKeys"/>), e.g. <c>fetch</c> or <c>tools[2]/call</c>.</summary>
    public string StepId { get; }

    /// <summary>The attempt number, starting at 1.</summary>
    public int Attempt { get; }

    /// <summary>The loop iteration, starting at 0; 0 outside loops.</summary>
    public int LoopIteration { get; }

    /// <summary>
    /// The key to pass to whatever performs the step's side effect, so that a retry or a resume does not repeat it.
    /// Set only for side-effecting steps (<see cref="StepDefinition.HasSideEffects"/>); the same on every attempt.
    /// </summary>
    public string? IdempotencyKey { get; }

    /// <summary>The run's input.</summary>
    public JsonElement Input { get; }

    /// <summary>
    /// Outputs of the steps this step depends on, by step definition id. A skipped dependency has no entry; a loop
    /// dependency contributes its last iteration's outputs, keyed by body step id.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> Outputs { get; }

    /// <summary>The run clock's time for this attempt (deterministic on replay).</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The random source, seeded per (run, step key, attempt) so that a replay draws the same numbers.</summary>
    public Random Random => _random ??= _makeRandom();

    /// <summary>The input the run was resumed with when this step had returned <see cref="StepOutcome.Wait"/>, else null.</summary>
    public JsonElement? ResumeInput { get; }
}
