using System.Text.RegularExpressions;

namespace Soma.Core.Tenancy;

/// <summary>Rules for tenant identifiers: they travel in tokens, rows, cache keys, subjects and log lines.</summary>
public static partial class TenantId
{
    /// <summary>The tenant a fresh installation starts with.</summary>
    public const string Default = "default";

    /// <summary>The alphabet, for error messages.</summary>
    public const string Rule = "1–63 characters of lowercase letters a–z, digits, '_' or '-', starting with a letter or digit";

    /// <summary>
    /// True when <paramref name="value"/> is <see cref="Rule"/>. The alphabet is safe in every place a tenant travels:
    /// a bus subject token (no '.', space, '*' or '>'), a file name, a cache key, a log line.
    /// </summary>
    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
