using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// Falco cannot run here (no driver for this kernel), so the shipped rules are checked for what Falco would refuse at
/// load: every entry a rule, macro or list with its required keys, a known priority, and every <c>soma_</c> name a
/// condition uses defined in the file.
/// </summary>
public sealed partial class FalcoRulesTests
{
    private static readonly string[] Priorities = ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "INFO", "DEBUG"];

    [Fact]
    public void The_shipped_rules_are_complete_and_refer_only_to_what_they_define()
    {
        var path = Path.Combine(RepositoryRoot(), "deploy", "falco", "soma-rules.yaml");
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        var entries = ((YamlSequenceNode)yaml.Documents[0].RootNode).Children.Cast<YamlMappingNode>().ToList();
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var rules = 0;
        var conditions = new List<(string Name, string Condition)>();
        foreach (var entry in entries)
        {
            var keys = entry.Children.ToDictionary(k => ((YamlScalarNode)k.Key).Value!, k => k.Value, StringComparer.Ordinal);
            if (keys.TryGetValue("list", out var list))
            {
                defined.Add(((YamlScalarNode)list).Value!);
                Assert.IsType<YamlSequenceNode>(keys["items"]);
            }
            else if (keys.TryGetValue("macro", out var macro))
            {
                defined.Add(((YamlScalarNode)macro).Value!);
                conditions.Add((((YamlScalarNode)macro).Value!, ((YamlScalarNode)keys["condition"]).Value!));
            }
            else
            {
                var rule = ((YamlScalarNode)keys["rule"]).Value!;
                rules++;
                foreach (var required in new[] { "desc", "condition", "output", "priority" })
                {
                    Assert.True(keys.ContainsKey(required), $"rule '{rule}' has no {required}");
                }

                Assert.Contains(((YamlScalarNode)keys["priority"]).Value!, Priorities);
                conditions.Add((rule, ((YamlScalarNode)keys["condition"]).Value!));
            }
        }

        Assert.True(rules >= 4, "the sandbox rules are missing");
        foreach (var (name, condition) in conditions)
        {
            Assert.Equal(condition.Count(c => c == '('), condition.Count(c => c == ')'));
            foreach (Match used in SomaName().Matches(condition))
            {
                Assert.True(defined.Contains(used.Value), $"'{name}' uses {used.Value}, which the file does not define");
            }
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SomaAgent.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (SomaAgent.slnx) is not above the test's folder.");
    }

    [GeneratedRegex(@"\bsoma_[a-z_]+\b")]
    private static partial Regex SomaName();
}
