using System.Text.Json;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>The repository's Dockerfile, read as Docker reads it: instructions of the final stage, continuation lines joined.</summary>
internal sealed record Dockerfile(IReadOnlyList<(string Instruction, string Arguments)> FinalStage, IReadOnlyList<string> Stages)
{
    public static string FilePath => RepositoryFiles.Path("Dockerfile");

    public static Dockerfile Read()
    {
        var instructions = new List<(string, string)>();
        var stages = new List<string>();
        var logical = string.Empty;
        foreach (var line in File.ReadAllLines(FilePath))
        {
            var trimmed = line.Trim();
            if (logical.Length == 0 && (trimmed.Length == 0 || trimmed.StartsWith('#')))
            {
                continue;
            }

            if (logical.Length > 0 && trimmed.StartsWith('#'))
            {
                continue;
            }

            logical += (logical.Length > 0 ? " " : string.Empty) + trimmed.TrimEnd('\\').Trim();
            if (trimmed.EndsWith('\\'))
            {
                continue;
            }

            var space = logical.IndexOf(' ', StringComparison.Ordinal);
            var instruction = logical[..space].ToUpperInvariant();
            var arguments = logical[(space + 1)..].Trim();
            logical = string.Empty;
            if (instruction == "FROM")
            {
                stages.Add(arguments);
                instructions.Clear();
            }

            instructions.Add((instruction, arguments));
        }

        return new Dockerfile(instructions, stages);
    }

    public IEnumerable<string> All(string instruction) => FinalStage.Where(i => i.Instruction == instruction).Select(i => i.Arguments);

    /// <summary>The exec form (a JSON array) of the final stage's ENTRYPOINT.</summary>
    public string[] Entrypoint
    {
        get
        {
            var entrypoint = Assert.Single(All("ENTRYPOINT"));
            Assert.StartsWith("[", entrypoint, StringComparison.Ordinal);
            return JsonSerializer.Deserialize<string[]>(entrypoint)!;
        }
    }
}
