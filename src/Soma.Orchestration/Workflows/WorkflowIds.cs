namespace Soma.Orchestration.Workflows;

/// <summary>The rule for step and loop ids: <c>^[a-z][a-z0-9_-]{0,62}$</c>.</summary>
internal static class WorkflowIds
{
    public const string Pattern = "^[a-z][a-z0-9_-]{0,62}$";

    public const int MaxLength = 63;

    // Checked by hand rather than by Regex: .NET's "$" also matches before a final "\n", which must not pass.
    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > MaxLength || !char.IsAsciiLetterLower(id[0]))
        {
            return false;
        }

        foreach (var c in id[1..])
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c is not '_' and not '-')
            {
                return false;
            }
        }

        return true;
    }
}
