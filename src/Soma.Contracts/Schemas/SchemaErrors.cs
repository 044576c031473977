using Json.Schema;

namespace Soma.Contracts.Schemas;

/// <summary>Turns JsonSchema.Net's evaluation output into errors a person can act on (shared by every validator).</summary>
public static class SchemaErrors
{
    /// <summary>
    /// The errors of a failed evaluation (run with <see cref="OutputFormat.List"/>), one per fault, deepest first, each
    /// named by the JSON pointer of the failing value.
    /// </summary>
    public static IReadOnlyList<ValidationError> Explain(EvaluationResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var errors = new List<ValidationError>();
        foreach (var node in (results.Details ?? []).Append(results))
        {
            // A failing "if" only means that branch does not apply: it is not a fault of the event.
            if (node.Errors is null || IsConditionEvaluation(node))
            {
                continue;
            }

            var pointer = node.InstanceLocation.ToString();
            foreach (var (keyword, message) in node.Errors)
            {
                if (keyword == "required" && MissingNames(message) is { Count: > 0 } missing)
                {
                    // A missing field is reported on its parent; name each missing field instead.
                    errors.AddRange(missing.Select(name => new ValidationError($"{pointer}/{name}", $"Required field '{name}' is missing.")));
                }
                else if (keyword == "false" || message.Contains("false schema", StringComparison.Ordinal))
                {
                    // A closed object evaluates an unknown property against the schema 'false'.
                    errors.Add(new ValidationError(pointer, $"Unknown field '{pointer[(pointer.LastIndexOf('/') + 1)..]}' is not allowed here."));
                }
                else
                {
                    errors.Add(new ValidationError(pointer, message));
                }
            }
        }

        // The deepest pointer is the most useful; a parent that failed only because a child did adds nothing.
        var distinct = errors.DistinctBy(e => (e.Pointer, e.Message)).ToList();
        var specific = distinct.Where(e => !distinct.Any(o => o.Pointer.Length > e.Pointer.Length && o.Pointer.StartsWith(e.Pointer + "/", StringComparison.Ordinal))).ToList();
        return [.. specific.OrderByDescending(e => e.Pointer.Count(c => c == '/')).ThenBy(e => e.Pointer, StringComparer.Ordinal)];
    }

    private static bool IsConditionEvaluation(EvaluationResults node)
    {
        var path = node.EvaluationPath.ToString();
        return path.EndsWith("/if", StringComparison.Ordinal) || path.Contains("/if/", StringComparison.Ordinal);
    }

    /// <summary>The property names of a JsonSchema.Net <c>required</c> message (<c>Required properties ["a","b"] are not present</c>).</summary>
    public static List<string> MissingNames(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var open = message.IndexOf('[', StringComparison.Ordinal);
        var close = message.LastIndexOf(']');
        if (open < 0 || close < open)
        {
            return [];
        }

        return [.. message[(open + 1)..close].Split(',').Select(n => n.Trim().Trim('"')).Where(n => n.Length > 0)];
    }
}
