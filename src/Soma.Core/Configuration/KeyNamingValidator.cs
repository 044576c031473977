using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Soma.Core.Configuration;

/// <summary>
/// Runs the data annotations of an options class and reports each failure under its full configuration key
/// (<c>Soma:Outbox:MaxAttempts: …</c>), so a bad setting names exactly what to fix.
/// </summary>
/// <typeparam name="TOptions">The options class.</typeparam>
/// <param name="sectionName">The section the options are bound from.</param>
internal sealed class KeyNamingValidator<TOptions>(string sectionName) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(results.Select(r =>
        {
            var member = r.MemberNames.FirstOrDefault();
            var value = member is null ? null : typeof(TOptions).GetProperty(member)?.GetValue(options);
            var key = member is null ? sectionName : $"{sectionName}:{member}";
            return member is not null && (IsSecret(member) || HoldsCredentials(value))
                ? $"{key}: {r.ErrorMessage}"
                : $"{key}: {r.ErrorMessage} (got '{value}').";
        }));
    }

    // Connection strings and keys may hold credentials: a start-up error must never print them.
    private static bool IsSecret(string member) =>
        member.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase)
        || member.Contains("Password", StringComparison.OrdinalIgnoreCase)
        || member.Contains("Secret", StringComparison.OrdinalIgnoreCase)
        || member.EndsWith("Token", StringComparison.OrdinalIgnoreCase)
        || member.EndsWith("Key", StringComparison.OrdinalIgnoreCase);

    // A URL with user info (nats://user:password@host) carries its credentials whatever the member's name.
    private static bool HoldsCredentials(object? value) =>
        value is string text && text.Contains("://", StringComparison.Ordinal) && text.Contains('@', StringComparison.Ordinal);
}
