namespace Soma.Benchmarks.Tests;

/// <summary>The recall benchmark's command line: a wrong option stops the run before anything starts, naming the option.</summary>
public sealed class RecallBenchOptionsTests
{
    [Theory]
    [InlineData("--engine", "mysql")]
    [InlineData("--fusion", "max")]
    [InlineData("--scale", "0")]
    [InlineData("--text-weight", "1.5")]
    [InlineData("--bogus", "1")]
    public void A_wrong_option_is_refused_naming_it(string option, string value)
    {
        var error = new StringWriter();

        var options = RecallBenchOptions.Parse(["recall", option, value], error);

        Assert.Null(options);
        Assert.Contains($"'{option}' '{value}'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_option_without_its_value_is_refused()
    {
        var error = new StringWriter();

        Assert.Null(RecallBenchOptions.Parse(["recall", "--out"], error));
        Assert.Contains("'--out'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_are_read_and_the_rest_keep_their_defaults()
    {
        var options = RecallBenchOptions.Parse(
            ["recall", "--engine", "postgres", "--model", "arctic-embed-xs", "--fusion", "weighted", "--text-weight", "0.3", "--scale", "5000", "--smoke"],
            TextWriter.Null);

        Assert.NotNull(options);
        Assert.Equal("postgres", options.Engine);
        Assert.Equal("arctic-embed-xs", options.Model);
        Assert.Equal("weighted", options.Fusion);
        Assert.Equal(0.3, options.TextWeight);
        Assert.Equal(5000, options.Scale);
        Assert.True(options.Smoke);
        Assert.Equal(3000, options.EmbedFiller);
        Assert.Equal("recall-benchmark.json", options.Output);
        Assert.Equal(RecallDataset.DefaultPath, options.DatasetPath);
    }
}
