using System.Text.Json;

namespace Soma.Orchestration.Workflows;

/// <summary>What a step condition or a loop's continue condition may read.</summary>
public sealed class StepConditionContext
{
    /// <summary>Creates the context.</summary>
    /// <param name="input">The run's input.</param>
    /// <param name="outputs">
    /// For a step condition: the outputs of the step's dependencies, by step definition id. For a loop's continue
    /// condition: the outputs of the iteration that just ended, by body step id.
    /// </param>
    /// <param name="loopIteration">The loop iteration, starting at 0; 0 outside loops.</param>
    public StepConditionContext(JsonElement input, IReadOnlyDictionary<string, JsonElement> outputs, int loopIteration = 0)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentOutOfRangeException.ThrowIfNegative(loopIteration);
        Input = input;
        Outputs = outputs;
        LoopIteration = loopIteration;
    }

    /// <summary>The run's input.</summary>
    public JsonElement Input { get; }

    /// <summary>Outputs available to the condition (see the constructor); a skipped step has no entry.</summary>
    public IReadOnlyDictionary<string, JsonElement> Outputs { get; }

    /// <summary>The loop iteration, starting at 0; 0 outside loops.</summary>
    public int LoopIteration { get; }
}
