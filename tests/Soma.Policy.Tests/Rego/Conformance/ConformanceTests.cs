using System.Globalization;
using System.Text;

namespace Soma.Policy.Tests.Rego.Conformance;

public sealed class ConformanceTests
{
    /// <summary>The pass count the report test holds the engine to (raise it as support grows).</summary>
    private const int PassFloor = 490;

    /// <summary>Cases deliberately not supported, by <c>file: note</c>, with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotSupported = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["builtins/comparison/tests.yaml: order"] =
            "Regorus sorts sets before objects; this engine keeps OPA's order (… array < object < set), which the value model fixes.",
        ["rego-extensions/or/tests.yaml: Azure Policy"] =
            "The case's input has no networkAcls (the key is misspelt networksAcls, and properties is null), so both sides of `or` are undefined; Regorus answers \"Deny\" anyway.",
        ["builtins/numbers/mod.yaml: integral float too large to convert"] =
            "The value model stores integral number literals as integers (100000000000000000e-1 is exactly 10^16, as in OPA), so `%` applies.",
        ["builtins/objects/json.patch.yaml: array-form path rejects an integral float index"] =
            "The value model stores integral floats as integers (2.0 == 2, as OPA), so 1.0 is a valid index here.",
        ["builtins/strings/sprintf.yaml: numeric formatting"] =
            "Builtins library (rego-builtins branch): Regorus's %f/%O formatting differs from Go's, which the builtin follows.",
        ["builtins/strings/sprintf.yaml: error cases"] =
            "Builtins library (rego-builtins branch): Go's sprintf prints %!d(MISSING); Regorus raises an error.",
        ["builtins/units/parse.yaml: all"] =
            "Builtins library (rego-builtins branch): units.parse of 1e-30 is exact here, Regorus underflows it to 0.",
    };

    public static TheoryData<string> CaseIds => [.. ConformanceCorpus.All.Select(c => c.Id)];

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Case(string id)
    {
        var c = ConformanceCorpus.All.First(x => x.Id == id);
        if (NotSupported.ContainsKey(id))
        {
            return;
        }

        var (passed, detail) = ConformanceRunner.Run(c);
        Assert.True(passed || c.Skip, detail);
    }

    [Fact]
    public void The_corpus_is_present()
    {
        Assert.True(Directory.Exists(Path.Combine(ConformanceCorpus.Directory, "cases")));
        Assert.True(ConformanceCorpus.All.Count >= 500, $"only {ConformanceCorpus.All.Count} cases");
    }

    [Fact]
    public void Report()
    {
        var rows = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        var failures = new List<string>();
        var skipped = new List<string>();
        foreach (var c in ConformanceCorpus.All)
        {
            var outcome = ConformanceOutcome.NotSupported;
            if (!NotSupported.ContainsKey(c.Id))
            {
                var (passed, detail) = ConformanceRunner.Run(c);
                outcome = passed ? ConformanceOutcome.Passed : c.Skip ? ConformanceOutcome.SkippedByCorpus : ConformanceOutcome.Failed;
                if (outcome == ConformanceOutcome.Failed)
                {
                    failures.Add($"{c.Id}: {detail}");
                }
                else if (outcome == ConformanceOutcome.SkippedByCorpus)
                {
                    skipped.Add($"{c.Id}: {detail}");
                }
            }

            if (!rows.TryGetValue(c.Folder, out var counts))
            {
                counts = new int[4];
                rows[c.Folder] = counts;
            }

            counts[(int)outcome]++;
        }

        var total = new int[4];
        var report = new StringBuilder("# Rego conformance\n\n| folder | passed | failed | not supported | skipped by corpus | passed ÷ (passed + failed + not supported) |\n|---|---:|---:|---:|---:|---:|\n");
        foreach (var (folder, counts) in rows.Append(new("**total**", total)).ToList())
        {
            if (folder != "**total**")
            {
                for (var i = 0; i < 4; i++)
                {
                    total[i] += counts[i];
                }
            }

            // The rate counts what is not supported as not passed: the aim is every case, not every case we chose to run.
            var cases = counts[0] + counts[1] + counts[2];
            report.Append(CultureInfo.InvariantCulture, $"| {folder} | {counts[0]} | {counts[1]} | {counts[2]} | {counts[3]} | {(cases == 0 ? "-" : $"{100.0 * counts[0] / cases:0.0} %")} |\n");
        }

        report.Append("\n## Not supported\n\n");
        foreach (var (id, reason) in NotSupported)
        {
            report.Append(CultureInfo.InvariantCulture, $"- `{id}`: {reason}\n");
        }

        report.Append("\n## Skipped by the corpus (`skip: true`) and failing here\n\n");
        foreach (var skip in skipped)
        {
            report.Append(CultureInfo.InvariantCulture, $"- {skip.Replace("\n", " ", StringComparison.Ordinal)}\n");
        }

        report.Append("\n## Failures\n\n");
        foreach (var failure in failures)
        {
            report.Append(CultureInfo.InvariantCulture, $"- {failure.Replace("\n", " ", StringComparison.Ordinal)}\n");
        }

        var directory = Environment.GetEnvironmentVariable("SOMA_REPORT_DIR");
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "rego-conformance.md"), report.ToString());
        }

        Assert.True(total[0] >= PassFloor, $"{total[0]} cases passed, below the floor of {PassFloor}\n{report}");
    }
}
