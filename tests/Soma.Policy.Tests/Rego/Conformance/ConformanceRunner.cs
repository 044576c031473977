using Soma.Policy.Rego;
using Soma.Policy.Rego.Evaluation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Rego.Conformance;

/// <summary>
/// Runs a case: compiles its modules with its data, evaluates the query for each input and compares. An <c>error</c>
/// case passes when parsing, compiling or evaluating throws <see cref="RegoException"/> (the text is Regorus's; ours
/// differs in places, so it is not compared). <c>strict: false</c> turns off strict builtin errors; <c>skip: true</c>
/// cases run too, and a failure there is reported as skipped by the corpus rather than as a failure. Every evaluation
/// notes what it reads of its input, as the embedded engine's decision cache has it do: noting must change no result.
/// </summary>
public static class ConformanceRunner
{
    public static (bool Passed, string Detail) Run(ConformanceCase c)
    {
        try
        {
            var sources = c.Modules.Select((text, i) => new RegoSource($"{c.File}#{i}", text)).ToList();
            EvaluationOptions Options() => new() { StrictBuiltinErrors = c.Strict, Now = DateTimeOffset.UnixEpoch, Reads = new InputReads() };
            var policy = RegoCompiler.Compile(sources, c.Data);
            var query = policy.Prepare(c.Query);
            var actual = new List<Value?>();
            if (c.Inputs.Count > 1)
            {
                actual.AddRange(c.Inputs.Select(input => query.Evaluate(input, Options())));
            }
            else if (c.WantMany)
            {
                actual.AddRange(query.EvaluateAll(c.Inputs[0], Options()));
            }
            else
            {
                actual.Add(query.Evaluate(c.Inputs[0], Options()));
            }

            if (c.Error is not null)
            {
                return (false, $"expected error \"{c.Error}\", got {Show(actual)}");
            }

            if (c.NoResult)
            {
                return actual.All(a => a is null) ? (true, "undefined") : (false, $"expected undefined, got {Show(actual)}");
            }

            if (c.Want is null)
            {
                return (false, "the case states no expectation");
            }

            var passed = actual.Count == c.Want.Count && actual.Zip(c.Want).All(p => p.First is not null && p.First.Equals(p.Second));
            return passed ? (true, "ok") : (false, $"expected {Show(c.Want)}, got {Show(actual)}");
        }
        catch (RegoException e)
        {
            return c.Error is not null ? (true, $"error as expected: {e.Message}") : (false, $"unexpected error: {e.Message}");
        }
    }

    private static string Show(IEnumerable<Value?> values) => string.Join(" | ", values.Select(v => v?.ToString() ?? "<undefined>"));
}
