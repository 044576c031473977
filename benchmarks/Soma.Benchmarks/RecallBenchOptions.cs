using System.Globalization;

namespace Soma.Benchmarks;

/// <summary>The command line of <see cref="RecallBench"/>.</summary>
/// <param name="Engine"><c>sqlite</c> (FULL) or <c>postgres</c> (a real server started from this machine's binaries).</param>
/// <param name="Model">The embedding model id, or null for the configured default.</param>
/// <param name="Fusion">The hybrid fusion (<c>rrf</c> or <c>weighted</c>), or null for the service's default.</param>
/// <param name="TextWeight">The share of full-text in the fused relevance, or null for the service's default.</param>
/// <param name="Scale">Memories in the latency namespace.</param>
/// <param name="EmbedFiller">Distinct filler texts embedded with the real model for the latency namespace.</param>
/// <param name="Output">Where the JSON report goes.</param>
/// <param name="Smoke">The dataset only, no latency fill.</param>
/// <param name="DatasetPath">The dataset.</param>
internal sealed record RecallBenchOptions(
    string Engine, string? Model, string? Fusion, double? TextWeight, int Scale, int EmbedFiller, string Output, bool Smoke, string DatasetPath)
{
    /// <summary>The options of a command line, or null (after naming the problem on <paramref name="error"/>) when it is wrong.</summary>
    public static RecallBenchOptions? Parse(string[] args, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        var options = new RecallBenchOptions("sqlite", null, null, null, 100_000, 3_000, "recall-benchmark.json", false, RecallDataset.DefaultPath);
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--smoke":
                    options = options with { Smoke = true };
                    continue;
                case "--engine" when value is "sqlite" or "postgres":
                    options = options with { Engine = value };
                    break;
                case "--model" when !string.IsNullOrWhiteSpace(value):
                    options = options with { Model = value };
                    break;
                case "--fusion" when value is "rrf" or "weighted":
                    options = options with { Fusion = value };
                    break;
                case "--text-weight" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) && weight is >= 0 and <= 1:
                    options = options with { TextWeight = weight };
                    break;
                case "--scale" when Positive(value) is { } scale:
                    options = options with { Scale = scale };
                    break;
                case "--embed-filler" when Positive(value) is { } count:
                    options = options with { EmbedFiller = count };
                    break;
                case "--out" when !string.IsNullOrWhiteSpace(value):
                    options = options with { Output = value };
                    break;
                case "--dataset" when !string.IsNullOrWhiteSpace(value):
                    options = options with { DatasetPath = value };
                    break;
                default:
                    error.WriteLine($"recall: unknown or incomplete option '{args[i]}'{(value is null ? "" : $" '{value}'")}. Usage: {RecallBench.Usage}");
                    return null;
            }

            i++;
        }

        return options;
    }

    private static int? Positive(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}
