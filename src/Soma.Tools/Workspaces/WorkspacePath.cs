using System.Text;

namespace Soma.Tools.Workspaces;

/// <summary>
/// A path the model gave, checked before anything touches the disk: relative, no NUL or control characters, at most
/// <see cref="MaxLength"/> characters and <see cref="MaxComponentBytes"/> bytes a component, and no <c>..</c> that
/// climbs above the workspace. What passes is a list of components; symlinks are the kernel's to refuse when opening.
/// </summary>
internal sealed record WorkspacePath(string Display, IReadOnlyList<string> Components)
{
    /// <summary>The longest path accepted, in characters.</summary>
    public const int MaxLength = 1024;

    /// <summary>The longest file or folder name, in UTF-8 bytes (the Linux limit).</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>True for the workspace itself (<c>.</c>, or an empty path where that is allowed).</summary>
    public bool IsRoot => Components.Count == 0;

    /// <summary>Checks <paramref name="input"/>; on refusal <paramref name="problem"/> says why.</summary>
    public static WorkspacePath? Parse(string input, out string? problem)
    {
        problem = null;
        if (input.Length > MaxLength)
        {
            problem = $"it is longer than {MaxLength} characters";
            return null;
        }

        if (input.Contains('\0', StringComparison.Ordinal))
        {
            problem = "it contains a NUL character";
            return null;
        }

        if (input.Any(char.IsControl))
        {
            problem = "it contains a control character";
            return null;
        }

        // "~/x" is nothing special here, but a model that writes it means a home folder: say no rather than surprise.
        if (input.StartsWith('/') || input.StartsWith('\\') || input == "~" || input.StartsWith("~/", StringComparison.Ordinal))
        {
            problem = "it is absolute: paths are relative to the workspace";
            return null;
        }

        var components = new List<string>();
        foreach (var part in input.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (components.Count == 0)
                {
                    problem = "it climbs out of the workspace with '..'";
                    return null;
                }

                components.RemoveAt(components.Count - 1);
                continue;
            }

            if (Encoding.UTF8.GetByteCount(part) > MaxComponentBytes)
            {
                problem = $"a name in it is longer than {MaxComponentBytes} bytes";
                return null;
            }

            components.Add(part);
        }

        return new WorkspacePath(components.Count == 0 ? "." : string.Join('/', components), components);
    }

    /// <summary>The path as the model wrote it, made printable and short enough for a message or a log line.</summary>
    public static string Printable(string input)
    {
        var text = new StringBuilder(Math.Min(input.Length, 200));
        foreach (var c in input.Take(200))
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return input.Length > 200 ? text.Append('…').ToString() : text.ToString();
    }
}
