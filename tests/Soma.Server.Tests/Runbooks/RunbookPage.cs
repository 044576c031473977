using System.Globalization;
using System.Text.RegularExpressions;
using Soma.Server.Tests.Alerts;

namespace Soma.Server.Tests.Runbooks;

/// <summary>
/// A page of <c>docs/runbooks/</c> read as a test reads it: the state it names (<c>&lt;!-- runbook-state: NAME --&gt;</c>)
/// and its fenced shell blocks, each with its title (<c>```sh title="check"</c> runs, <c>title="act"</c> does not) and the
/// <c>&lt;!-- expect: TEXT --&gt;</c> and <c>&lt;!-- exit: N --&gt;</c> comments that follow it.
/// </summary>
internal sealed partial record RunbookPage(string Name, string? State, IReadOnlyList<RunbookBlock> Blocks)
{
    private static readonly HashSet<string> ShellLanguages = new(StringComparer.OrdinalIgnoreCase) { "sh", "bash", "shell", "console", "zsh" };

    public static string Folder => Path.Combine(AlertRules.Root, "docs", "runbooks");

    /// <summary>Every page's name (the file name without <c>.md</c>), but the index.</summary>
    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Folder, "*.md").Select(f => Path.GetFileNameWithoutExtension(f)).Where(n => n != "index").Order(StringComparer.Ordinal);

    public IEnumerable<RunbookBlock> Checks => Blocks.Where(b => b.Title == "check");

    public static RunbookPage Load(string name) => Parse(name, File.ReadAllLines(Path.Combine(Folder, name + ".md")));

    public static RunbookPage Parse(string name, string[] lines)
    {
        string? state = null;
        var blocks = new List<RunbookBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (StateComment().Match(lines[i]) is { Success: true } s)
            {
                state = s.Groups[1].Value;
                continue;
            }

            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                continue;
            }

            var start = i + 1;
            var indent = fence.Groups[1].Value.Length;
            var code = new List<string>();
            for (i++; i < lines.Length && !Fence().Match(lines[i]).Success; i++)
            {
                code.Add(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart());
            }

            var info = fence.Groups[2].Value.Trim();
            var language = info.Split(' ', 2)[0];
            if (!ShellLanguages.Contains(language))
            {
                continue;
            }

            var expects = new List<string>();
            int? exit = null;
            for (var j = i + 1; j < lines.Length; j++)
            {
                if (ExpectComment().Match(lines[j]) is { Success: true } e)
                {
                    expects.Add(e.Groups[1].Value);
                }
                else if (ExitComment().Match(lines[j]) is { Success: true } x)
                {
                    exit = int.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture);
                }
                else
                {
                    break;
                }
            }

            var title = TitleAttribute().Match(info) is { Success: true } t ? t.Groups[1].Value : null;
            blocks.Add(new RunbookBlock(name, start, title, string.Join('\n', code), expects, exit ?? 0));
        }

        return new RunbookPage(name, state, blocks);
    }

    [GeneratedRegex(@"^(\s*)```(.*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"title=""([^""]*)""")]
    private static partial Regex TitleAttribute();

    [GeneratedRegex(@"^\s*<!-- runbook-state: ([a-z-]+) -->\s*$")]
    private static partial Regex StateComment();

    [GeneratedRegex(@"^\s*<!-- expect: (.+?) -->\s*$")]
    private static partial Regex ExpectComment();

    [GeneratedRegex(@"^\s*<!-- exit: ([0-9]+) -->\s*$")]
    private static partial Regex ExitComment();
}

/// <summary>One fenced shell block of a runbook page.</summary>
/// <param name="Page">The page's name.</param>
/// <param name="Line">The first line of its code (1-based), for messages.</param>
/// <param name="Title"><c>check</c>, <c>act</c>, or null when the block is not marked.</param>
/// <param name="Code">The commands.</param>
/// <param name="Expects">What its output must contain.</param>
/// <param name="ExitCode">The exit code it must end with (0 unless an exit comment says otherwise).</param>
internal sealed record RunbookBlock(string Page, int Line, string? Title, string Code, IReadOnlyList<string> Expects, int ExitCode)
{
    public override string ToString() => $"{Page}.md:{Line}";
}
