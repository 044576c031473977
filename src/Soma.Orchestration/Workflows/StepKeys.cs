using System.Globalization;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// The key of one execution of a step within a run: the step id for a top-level step (<c>fetch</c>), and
/// <c>{loopId}[{loopIteration}]/{stepId}</c> for a step inside a loop (<c>tools[2]/call</c>). Keys are stored in
/// checkpoints and events, so the format is stable.
/// </summary>
public static class StepKeys
{
    /// <summary>Builds a step key.</summary>
    /// <param name="stepId">The step definition id.</param>
    /// <param name="loopId">The loop the step belongs to, or null for a top-level step.</param>
    /// <param name="loopIteration">The loop iteration (0 or more); must be 0 for a top-level step.</param>
    /// <exception cref="ArgumentException">An id does not match <c>^[a-z][a-z0-9_-]{0,62}$</c>, or the iteration does not fit.</exception>
    public static string For(string stepId, string? loopId, int loopIteration)
    {
        ArgumentNullException.ThrowIfNull(stepId);
        if (!WorkflowIds.IsValid(stepId))
        {
            throw new ArgumentException($"Step id '{stepId}' does not match {WorkflowIds.Pattern}.", nameof(stepId));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(loopIteration);
        if (loopId is null)
        {
            return loopIteration == 0
                ? stepId
                : throw new ArgumentOutOfRangeException(nameof(loopIteration), loopIteration, "A step outside a loop has iteration 0.");
        }

        if (!WorkflowIds.IsValid(loopId))
        {
            throw new ArgumentException($"Loop id '{loopId}' does not match {WorkflowIds.Pattern}.", nameof(loopId));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{loopId}[{loopIteration}]/{stepId}");
    }

    /// <summary>
    /// Parses a key made by <see cref="For"/>. Only the canonical form is accepted (no sign, no leading zeros, no
    /// spaces), so a parsed key formats back to the same text.
    /// </summary>
    public static bool TryParse(string key, out string stepId, out string? loopId, out int loopIteration)
    {
        stepId = "";
        loopId = null;
        loopIteration = 0;
        if (key is null)
        {
            return false;
        }

        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (!WorkflowIds.IsValid(key))
            {
                return false;
            }

            stepId = key;
            return true;
        }

        var loopPart = key.AsSpan(0, slash);
        var stepPart = key.AsSpan(slash + 1);
        var open = loopPart.IndexOf('[');
        if (open < 0 || loopPart[^1] != ']' || !WorkflowIds.IsValid(loopPart[..open]) || !WorkflowIds.IsValid(stepPart))
        {
            return false;
        }

        var digits = loopPart[(open + 1)..^1];
        if (!IsCanonicalNumber(digits) || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var iteration))
        {
            return false;
        }

        stepId = stepPart.ToString();
        loopId = loopPart[..open].ToString();
        loopIteration = iteration;
        return true;
    }

    private static bool IsCanonicalNumber(ReadOnlySpan<char> digits) =>
        digits.Length > 0 && (digits.Length == 1 || digits[0] != '0') && !digits.ContainsAnyExcept(Digits);

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");
}
