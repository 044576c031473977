using System.Text.RegularExpressions;

namespace Soma.Core.Tenancy;

/// <summary>Rules for tenant identifiers: they travel in tokens, rows, cache keys, subjects and log lines.</summary>
public static partial class TenantId
{
    /// <summary>The tenant a fresh installation starts with.</summary>
    public const string Default = "default";

    /// <summary>True when <paramref name="value"/> is 1–63 characters of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
