using System.Text.Json;
using Soma.Testing;

namespace Soma.Benchmarks.Tests;

/// <summary>
/// The recall benchmark's smoke mode (<c>Soma.Benchmarks recall --smoke</c>, docs/operations/benchmarks.md): the
/// shipped dataset through the real memory service on SQLite with the real embedding model.
/// </summary>
public sealed class RecallBenchTests : IDisposable
{
    private readonly TempDirectory _work = new("soma-recall-bench");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task The_smoke_run_reports_text_vector_and_hybrid_and_hybrid_finds_evidence_that_words_alone_miss()
    {
        var output = Path.Combine(_work.Path, "recall.json");

        var code = await RecallBench.RunAsync(["recall", "--smoke", "--out", output]);

        Assert.Equal(0, code);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(output));
        var root = report.RootElement;
        var quality = root.GetProperty("quality");
        var modes = quality.GetProperty("modes").EnumerateArray().ToList();
        Assert.Equal(["text", "vector", "hybrid"], modes.Select(m => m.GetProperty("mode").GetString()));
        foreach (var mode in modes)
        {
            Assert.Equal(245, mode.GetProperty("questions").GetInt32());
            foreach (var figure in new[] { "recall_at_5", "recall_at_10", "all_found_at_5", "all_found_at_10" })
            {
                Assert.InRange(mode.GetProperty(figure).GetDouble(), 0.0, 1.0);
            }
        }

        // Every turn was embedded before the questions, and recall by meaning found answers the words did not.
        Assert.Equal(721, quality.GetProperty("vectors_stored").GetInt64());
        Assert.True(quality.GetProperty("evidence_found_by_hybrid_not_text").GetInt32() >= 1, root.ToString());
        Assert.Equal(0, quality.GetProperty("results_without_match").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("scale").ValueKind);
    }
}
