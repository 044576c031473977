using System.Globalization;
using Spectre.Console;

namespace Soma.Benchmarks;

public static partial class RecallBench
{
    private static void Print(RecallReport report)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            // Spectre assumes 80 columns when it cannot ask a terminal; the tables are wider.
            console.Profile.Width = 140;
        }

        var d = report.Dataset;
        var q = report.Quality;
        console.WriteLine(Invariant(
            $"recall benchmark ({report.Run}): {report.Engine}, model {report.Model ?? "none"}, fusion {report.Fusion.Fusion} (text weight {report.Fusion.TextWeight}, rrf k {report.Fusion.RrfK}, {report.Fusion.Candidates} candidates); dataset {d.Name} v{d.Version}: {d.Personas} personas, {d.Sessions} sessions, {d.Turns} turns, {d.Questions} questions"));
        console.WriteLine(Invariant($"machine: {report.Machine.Cores} cores, {report.Machine.Cpu}; load average {report.LoadAverage}"));
        console.WriteLine(q.Modes.Count == 1
            ? "vectors: none (this build has no embedder or no vector store): text mode only"
            : Invariant($"vectors: {q.VectorsStored} of {d.Turns} turns, embedded by the server's embedding pass and indexed {q.VectorWait:F1} s after the last write"));
        if (q.ResultsWithoutMatch > 0)
        {
            console.WriteLine(Invariant($"warning: {q.ResultsWithoutMatch} vector/hybrid results did not say why they matched: this service may not honour the mode"));
        }

        var quality = new Table().AddColumns("mode", "recall@5", "recall@10", "all evidence @5", "all evidence @10", "recall@10 / text");
        var text = q.Modes[0];
        foreach (var mode in q.Modes)
        {
            quality.AddRow(
                mode.Mode, F3(mode.RecallAt5), F3(mode.RecallAt10), F3(mode.AllFoundAt5), F3(mode.AllFoundAt10),
                text.RecallAt10 > 0 ? F3(mode.RecallAt10 / text.RecallAt10) : "-");
        }

        console.Write(quality);
        if (q.Modes.Count > 1)
        {
            console.WriteLine(Invariant(
            $"evidence turns in hybrid's top 10 but not text's: {q.EvidenceFoundByHybridNotText}; in text's but not hybrid's: {q.EvidenceFoundByTextNotHybrid}"));
        }

        var subsets = new Table().AddColumn("recall@10 by kind of question").AddColumn("questions");
        foreach (var mode in q.Modes)
        {
            subsets.AddColumn(mode.Mode);
        }

        foreach (var subset in q.Subsets)
        {
            subsets.AddRow([subset.Subset, Invariant($"{subset.Questions}"), .. q.Modes.Select(m => F3(subset.RecallAt10[m.Mode]))]);
        }

        console.Write(subsets);
        if (report.Embedding is { } e)
        {
            console.WriteLine(Invariant($"embedding: {e.Texts} turns at batch {e.BatchSize}: {e.TextsPerSecond:F0} texts/s; one at a time: {e.SingleTextsPerSecond:F0} texts/s"));
        }

        if (report.Scale is { } s)
        {
            console.WriteLine(Invariant(
                $"latency: {s.Memories:N0} memories in one namespace (filled in {s.FillSeconds:F1} s; {s.FillerTextsEmbedded:N0} distinct filler texts embedded, the rest reuse their vectors with noise), top_k 10, one recall at a time, no recall cache"));
            var latency = new Table().AddColumns("recall", "queries", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)", $"p99 / {s.Baseline}");
            foreach (var row in s.Rows)
            {
                latency.AddRow(row.Name, Invariant($"{row.Queries}"), F3(row.P50Ms), F3(row.P90Ms), F3(row.P99Ms), F3(row.MaxMs), F3(row.P99Ratio));
            }

            console.Write(latency);
            console.WriteLine(Invariant(
                $"managed heap growth with the vectors loaded: {s.ManagedHeapGrowthBytes / 1048576.0:F1} MB (raw vectors: {s.RawVectorBytes / 1048576.0:F1} MB)"));
        }
    }

    private static string F3(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
