namespace Soma.Server.Tests.Deployment;

/// <summary><c>helm lint --strict</c> and the chart's refusals: values.schema.json and the settings it cannot guess.</summary>
public sealed class ChartLintTests
{
    [Fact]
    public async Task Lint_strict_passes_for_the_default_values_with_the_required_settings_and_for_the_production_values()
    {
        var defaults = await HelmChart.HelmAsync(["lint", "--strict", HelmChart.Directory, .. HelmChart.RequiredValues]);
        Assert.True(defaults.ExitCode == 0, defaults.Stdout + defaults.Stderr);
        var production = await HelmChart.HelmAsync("lint", "--strict", HelmChart.Directory, "-f", HelmChart.ProductionValues);
        Assert.True(production.ExitCode == 0, production.Stdout + production.Stderr);
        Assert.Contains("0 chart(s) failed", production.Stdout, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> BadValues => new()
    {
        { ["--set", "mode=sideways"], "at '/mode': value must be one of 'roles', 'allInOne'" },
        { ["--set-string", "gateway.replicas=two"], "at '/gateway/replicas': got string, want integer" },
        { ["--set", "worker.replicas=-1"], "at '/worker/replicas'" },
        { ["--set", "modes=roles"], "'modes' not allowed" },
        { ["--set", "networkPolicy.model.cidrs[0]=anywhere"], "at '/networkPolicy/model/cidrs/0'" },
        { ["--set", "sandbox.seccompProfile.type=Privileged"], "at '/sandbox/seccompProfile/type'" },
        { ["--set", "image.digest=latest"], "at '/image/digest'" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_value_the_schema_refuses_stops_the_render_naming_it(string[] set, string message)
    {
        var (exit, _, stderr) = await HelmChart.HelmAsync(["template", "soma", HelmChart.Directory, .. HelmChart.RequiredValues, .. set]);
        Assert.NotEqual(0, exit);
        Assert.Contains("values don't meet the specifications of the schema", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> MissingSettings => new()
    {
        { "store.postgres.connectionString", "store.postgres.connectionString or store.postgres.existingSecret is required" },
        { "bus.nats.url", "bus.nats.url is required in mode roles" },
        { "auth.signingKey.hs256", "auth.signingKey.hs256 (base64 of 32 random bytes" },
    };

    [Theory]
    [MemberData(nameof(MissingSettings))]
    public async Task A_setting_the_chart_cannot_guess_stops_the_render_naming_it(string left, string message)
    {
        var values = HelmChart.RequiredValues.Chunk(2).Where(pair => !pair[1].StartsWith(left + "=", StringComparison.Ordinal)).SelectMany(pair => pair);
        Assert.Equal(HelmChart.RequiredValues.Length - 2, values.Count());
        var (exit, _, stderr) = await HelmChart.HelmAsync(["template", "soma", HelmChart.Directory, .. values]);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signing_key_shorter_than_256_bits_and_two_sources_of_one_secret_are_refused()
    {
        var (exit, _, stderr) = await HelmChart.HelmAsync(["template", "soma", HelmChart.Directory, .. HelmChart.RequiredValues, "--set-string", "auth.signingKey.hs256=c2hvcnQ="]);
        Assert.NotEqual(0, exit);
        Assert.Contains("auth.signingKey.hs256 must be the base64 of at least 32 bytes", stderr, StringComparison.Ordinal);

        (exit, _, stderr) = await HelmChart.HelmAsync(["template", "soma", HelmChart.Directory, .. HelmChart.RequiredValues, "--set", "store.postgres.existingSecret=pg"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("set only one of store.postgres.connectionString and store.postgres.existingSecret", stderr, StringComparison.Ordinal);
    }
}
