using System.CommandLine;
using System.Globalization;
using Soma.Policy.Bundles;
using Soma.Policy.Rego;

namespace Soma.Server.Cli;

internal static partial class PolicyCommand
{
    private static Command TestCommand()
    {
        var paths = new Argument<string[]>("path") { Description = "Policy files or folders.", Arity = ArgumentArity.OneOrMore };
        var coverage = new Option<bool>("--coverage", "-c") { Description = "Print how many lines of each module the tests evaluated (-v: which were not)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every test, not only failures." };
        var test = new Command("test", "Run the test_ rules, like opa test; exit 1 when one fails.") { paths, coverage, verbose };
        test.SetAction(parse => TestAsync(parse.GetValue(paths)!, parse.GetValue(coverage), parse.GetValue(verbose)));
        return test;
    }

    private static Task<int> TestAsync(string[] paths, bool coverage, bool verbose)
    {
        if (MissingPath(paths) is { } missing)
        {
            return BadInputAsync($"{missing}: no such file or folder.");
        }

        var loaded = PolicyBundleLoader.Load(paths, TimeProvider.System.GetUtcNow(), runTests: false);
        if (loaded.Bundle is not { } bundle)
        {
            return ErrorsAsync(loaded.Errors);
        }

        var covered = coverage ? new HashSet<SourceLocation>() : null;
        var results = bundle.Policy.RunTests(new EvaluationOptions { Coverage = covered, Print = line => Console.Out.WriteLine($"    {line}") });
        foreach (var result in results.Where(r => verbose || !r.Passed))
        {
            var detail = result.Error is null ? string.Empty : $": {result.Error}";
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(result.Passed ? "PASS" : "FAIL")} {result.Location} data.{result.Package}.{result.Name} ({result.Duration.TotalMilliseconds:0.###} ms){detail}"));
        }

        var failed = results.Count(r => !r.Passed);
        Console.Out.WriteLine(results.Count == 0
            ? "no tests found (rules named test_…)"
            : $"{(failed == 0 ? "PASS" : "FAIL")}: {results.Count - failed}/{results.Count}");
        if (covered is not null)
        {
            PrintCoverage(bundle, covered, verbose);
        }

        return Task.FromResult(failed == 0 && results.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed);
    }

    // The lines holding rule-body expressions against the lines the tests evaluated (as opa test --coverage counts).
    private static void PrintCoverage(PolicyBundle bundle, HashSet<SourceLocation> covered, bool verbose)
    {
        var byFile = covered.GroupBy(l => l.File).ToDictionary(g => g.Key, g => g.Select(l => l.Line).ToHashSet());
        Console.Out.WriteLine("coverage:");
        foreach (var file in bundle.Files.Where(f => f.EndsWith(".rego", StringComparison.Ordinal) && !f.EndsWith("_test.rego", StringComparison.Ordinal)))
        {
            var coverable = RegoCoverage.Coverable(new RegoSource(file, File.ReadAllText(file))).Select(l => l.Line).Distinct().Order().ToList();
            var hit = byFile.TryGetValue(file, out var h) ? h : [];
            var missed = coverable.Where(n => !hit.Contains(n)).ToList();
            var percent = coverable.Count == 0 ? 100 : 100.0 * (coverable.Count - missed.Count) / coverable.Count;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {file}: {percent:0.0}% ({coverable.Count - missed.Count}/{coverable.Count} lines)"));
            if (verbose && missed.Count > 0)
            {
                Console.Out.WriteLine($"    not evaluated: lines {string.Join(", ", missed)}");
            }
        }
    }
}
