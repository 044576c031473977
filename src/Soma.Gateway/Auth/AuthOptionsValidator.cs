using Microsoft.Extensions.Options;

namespace Soma.Gateway.Auth;

/// <summary>Checks <see cref="AuthOptions"/> at start-up; each failure names its configuration key.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        const string Section = AuthOptions.SectionName;
        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add($"{Section}:Issuer must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{Section}:Audience must not be empty.");
        }

        if (options.ClockSkewSeconds is < 0 or > 600)
        {
            failures.Add($"{Section}:ClockSkewSeconds must be between 0 and 600 (got {options.ClockSkewSeconds}).");
        }

        if (options.MaxTokenLifetime <= TimeSpan.Zero || options.MaxTokenLifetime > TokenIssuer.MaxLifetime)
        {
            failures.Add($"{Section}:MaxTokenLifetime must be more than zero and at most 365.00:00:00 (got {options.MaxTokenLifetime}).");
        }

        if (options.Mode == AuthMode.Hs256 && string.IsNullOrWhiteSpace(options.Hs256KeyPath))
        {
            failures.Add($"{Section}:Hs256KeyPath must be set when {Section}:Mode is Hs256.");
        }

        if (options.Mode == AuthMode.Rs256)
        {
            var hasPem = !string.IsNullOrWhiteSpace(options.Rs256PublicKeyPath);
            if (hasPem == (options.JwksUrl is not null))
            {
                failures.Add($"{Section}:Mode Rs256 needs exactly one of {Section}:Rs256PublicKeyPath or {Section}:JwksUrl.");
            }
            else if (hasPem && !File.Exists(options.Rs256PublicKeyPath))
            {
                failures.Add($"{Section}:Rs256PublicKeyPath '{options.Rs256PublicKeyPath}' does not exist.");
            }
            else if (options.JwksUrl is { } url && !url.IsAbsoluteUri)
            {
                failures.Add($"{Section}:JwksUrl must be an absolute URL.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
