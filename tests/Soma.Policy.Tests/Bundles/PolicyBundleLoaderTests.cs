using Soma.Policy.Bundles;
using Soma.Policy.Rego.Values;
using Soma.Testing;

namespace Soma.Policy.Tests.Bundles;

public sealed class PolicyBundleLoaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_shipped_policy_loads_and_its_tests_pass()
    {
        var result = PolicyBundleLoader.Load([PolicyFolder.Shipped], Now);
        Assert.True(result.Succeeded, string.Join('\n', result.Errors));
        Assert.True(result.Bundle!.Tests >= 10);
        Assert.Contains("soma.tools", result.Bundle.Policy.Packages);
        Assert.IsType<ObjectValue>(((ObjectValue)((ObjectValue)result.Bundle.Data)["soma"]!)["roles"]);
    }

    [Fact]
    public void The_version_is_the_content_so_the_same_files_anywhere_have_the_same_version()
    {
        using var a = PolicyFolder.Create();
        using var b = PolicyFolder.Create();
        var first = PolicyBundleLoader.Load([a.Path], Now);
        Assert.Equal(first.Version, PolicyBundleLoader.Load([b.Path], Now).Version);
        b.Write("roles.yaml", File.ReadAllText(Path.Combine(b.Path, "roles.yaml")) + "\n# changed\n");
        Assert.NotEqual(first.Version, PolicyBundleLoader.Load([b.Path], Now).Version);
    }

    [Fact]
    public void A_bad_roles_file_names_the_key_and_its_line()
    {
        using var folder = PolicyFolder.Create("version: 1\nroles:\n  user:\n    tools: [\"time.now\"]\n    rate_limit: {calls_per_minute: 0}\n  Bad Name:\n    tools: []\n");
        var result = PolicyBundleLoader.Load([folder.Path], Now);
        Assert.False(result.Succeeded);
        var roles = Path.Combine(folder.Path, "roles.yaml");
        Assert.Contains(result.Errors, e => e.StartsWith($"{roles}:5:", StringComparison.Ordinal) && e.Contains("/roles/user/rate_limit/calls_per_minute", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("Bad Name", StringComparison.Ordinal));
    }

    [Fact]
    public void An_egress_host_that_is_not_a_host_names_the_key_and_its_line()
    {
        using var folder = PolicyFolder.Create("version: 1\nroles:\n  user: {tools: [\"http.fetch\"]}\ntools:\n  http.fetch:\n    egress:\n      hosts: [\"example.com\", \"http://evil.net/\"]\n      allow_private: \"yes\"\n");
        var result = PolicyBundleLoader.Load([folder.Path], Now);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Contains("roles.yaml:7:", StringComparison.Ordinal) && e.Contains("/tools/http.fetch/egress/hosts/1", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("roles.yaml:8:", StringComparison.Ordinal) && e.Contains("/tools/http.fetch/egress/allow_private", StringComparison.Ordinal));
    }

    [Fact]
    public void A_yaml_syntax_error_names_its_line_and_column()
    {
        using var folder = PolicyFolder.Create("version: 1\nroles:\n  user: {tools: [time.now\n");
        var result = PolicyBundleLoader.Load([folder.Path], Now);
        Assert.False(result.Succeeded);
        Assert.Matches(@"roles\.yaml:\d+:\d+: invalid YAML", Assert.Single(result.Errors));
    }

    [Fact]
    public void A_module_that_does_not_parse_names_file_line_and_column()
    {
        using var folder = PolicyFolder.Create();
        folder.Write("policies/broken.rego", "package soma.broken\n\nallow if {\n");
        var result = PolicyBundleLoader.Load([folder.Path], Now);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Contains("broken.rego:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failing_test_keeps_the_folder_from_loading_unless_tests_are_not_required()
    {
        using var folder = PolicyFolder.Create();
        folder.Write("policies/extra_test.rego", "package soma.extra_test\n\nimport rego.v1\n\ntest_never if false\n");
        var result = PolicyBundleLoader.Load([folder.Path], Now);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Contains("test_never failed", StringComparison.Ordinal) && e.Contains("extra_test.rego:", StringComparison.Ordinal));
        Assert.True(PolicyBundleLoader.Load([folder.Path], Now, runTests: false).Succeeded);
    }

    [Fact]
    public void Data_files_merge_at_the_root_and_a_clash_is_an_error()
    {
        var result = PolicyBundleLoader.Load([("p.rego", "package x\n\nimport rego.v1\n\ny := data.limits.max\n"), ("limits.json", """{"limits":{"max":3}}"""), ("more.yaml", "limits:\n  min: 1\n")], Now);
        Assert.True(result.Succeeded, string.Join('\n', result.Errors));
        Assert.Equal(Value.Number(3), result.Bundle!.Policy.Evaluate("data.x.y"));

        var clash = PolicyBundleLoader.Load([("p.rego", "package x\n"), ("a.json", """{"limits":{"max":3}}"""), ("b.json", """{"limits":{"max":4}}""")], Now);
        Assert.Contains(clash.Errors, e => e.Contains("data.limits.max is defined twice", StringComparison.Ordinal));
    }

    [Fact]
    public void A_folder_without_modules_does_not_load()
    {
        using var directory = new TempDirectory("soma-policy-empty");
        Assert.Contains("no .rego files found", Assert.Single(PolicyBundleLoader.Load([directory.Path], Now).Errors), StringComparison.Ordinal);
    }
}
