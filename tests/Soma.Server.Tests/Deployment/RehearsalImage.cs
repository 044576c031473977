using System.Text.Json;
using System.Text.RegularExpressions;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// What the container image runs, read from the repository's Dockerfile (its last stage): the exec-form
/// <c>ENTRYPOINT</c>, the <c>ENV</c> it sets and its <c>WORKDIR</c>. The image's <c>/app/soma</c> (the apphost of
/// src/Soma.Server published to /app) maps to <c>dotnet soma.dll</c> built locally.
/// </summary>
internal sealed partial record RehearsalImage(IReadOnlyList<string> Entrypoint, IReadOnlyList<(string Key, string Value)> Environment, string? WorkingDirectory)
{
    /// <summary>The published apphost the image runs; the rehearsal runs the locally built soma.dll in its place.</summary>
    public const string SomaApphost = "/app/soma";

    public static string DockerfilePath => RepositoryFiles.Path("Dockerfile");

    /// <summary>Reads the repository's Dockerfile.</summary>
    public static RehearsalImage Read()
    {
        var path = DockerfilePath;
        return File.Exists(path)
            ? Parse(File.ReadAllText(path), path)
            : throw new InvalidOperationException($"The image's Dockerfile is missing: {path}");
    }

    /// <summary>Reads a Dockerfile's text; <paramref name="path"/> names it in errors.</summary>
    public static RehearsalImage Parse(string dockerfile, string path)
    {
        // Continuation lines joined; comments dropped; only the last stage (after the last FROM) is the image.
        var instructions = new List<string>();
        var current = "";
        foreach (var raw in dockerfile.Split('\n'))
        {
            var line = raw.Trim();
            // Docker drops comment lines even inside a continued instruction.
            if (line.StartsWith('#') || (current.Length == 0 && line.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            instructions.Add(current + line);
            current = "";
        }

        var lastFrom = instructions.FindLastIndex(i => Keyword(i) == "FROM");
        var stage = instructions.Skip(lastFrom + 1).ToList();
        IReadOnlyList<string>? entrypoint = null;
        var environment = new List<(string, string)>();
        string? workdir = null;
        foreach (var instruction in stage)
        {
            var rest = instruction[Keyword(instruction).Length..].Trim();
            switch (Keyword(instruction))
            {
                case "ENTRYPOINT":
                    entrypoint = rest.StartsWith('[')
                        ? JsonSerializer.Deserialize<string[]>(rest) ?? []
                        : throw new InvalidOperationException($"{path}: ENTRYPOINT is in shell form ({rest}); the rehearsal runs only the exec form [\"{SomaApphost}\"].");
                    break;
                case "CMD":
                    throw new InvalidOperationException($"{path}: the image sets CMD ({rest}); the contract is an ENTRYPOINT and no CMD, the chart giving args.");
                case "ENV":
                    environment.AddRange(ParseEnv(rest, path));
                    break;
                case "WORKDIR":
                    workdir = rest;
                    break;
            }
        }

        if (entrypoint is not [SomaApphost, ..])
        {
            throw new InvalidOperationException(
                $"{path}: the image's ENTRYPOINT is {(entrypoint is null ? "missing" : JsonSerializer.Serialize(entrypoint))}; the rehearsal maps only [\"{SomaApphost}\", ...] to the built soma.dll.");
        }

        return new RehearsalImage(entrypoint, environment, workdir);
    }

    private static string Keyword(string instruction) => instruction.Split(' ', 2)[0].ToUpperInvariant();

    // ENV KEY=VALUE KEY2="VALUE 2" ... or the legacy ENV KEY VALUE.
    private static IEnumerable<(string, string)> ParseEnv(string rest, string path)
    {
        if (!rest.Contains('=', StringComparison.Ordinal) || rest.Split(' ', 2)[0].IndexOf('=', StringComparison.Ordinal) < 0)
        {
            var parts = rest.Split(' ', 2, StringSplitOptions.TrimEntries);
            return parts.Length == 2 ? [(parts[0], parts[1])] : throw new InvalidOperationException($"{path}: cannot read ENV {rest}");
        }

        return EnvPair().Matches(rest).Select(m => (m.Groups["key"].Value,
            m.Groups["quoted"].Success ? m.Groups["quoted"].Value.Replace("\\\"", "\"", StringComparison.Ordinal) : m.Groups["plain"].Value));
    }

    [GeneratedRegex("""(?<key>[A-Za-z_][A-Za-z0-9_.]*)=(?:"(?<quoted>(?:[^"\\]|\\.)*)"|(?<plain>\S*))""")]
    private static partial Regex EnvPair();
}
