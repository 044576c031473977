using Microsoft.Extensions.Options;

namespace Soma.Gateway.Auth.Keys;

/// <summary>Checks <see cref="KeyRingOptions"/> at start-up; each failure names its configuration key.</summary>
internal sealed class KeyRingOptionsValidator(IOptions<AuthOptions> auth) : IValidateOptions<KeyRingOptions>
{
    public ValidateOptionsResult Validate(string? name, KeyRingOptions options)
    {
        if (auth.Value.Mode != AuthMode.Hs256)
        {
            return ValidateOptionsResult.Success;
        }

        const string Section = KeyRingOptions.SectionName;
        var failures = new List<string>();
        if (options.PollInterval < TimeSpan.FromMilliseconds(100) || options.PollInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:PollInterval must be between 00:00:00.1 and 01:00:00 (got {options.PollInterval}).");
        }

        switch (options.Source)
        {
            case KeySourceKind.Directory when string.IsNullOrWhiteSpace(options.Directory):
                failures.Add($"{Section}:Directory must be set when {Section}:Source is Directory.");
                break;
            case KeySourceKind.Vault:
                ValidateVault(options.Vault, failures);
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateVault(VaultKeyOptions vault, List<string> failures)
    {
        const string Section = KeyRingOptions.SectionName + ":Vault";
        if (vault.Address is not { IsAbsoluteUri: true } address || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{Section}:Address must be an absolute http(s) URL when {KeyRingOptions.SectionName}:Source is Vault.");
        }

        if (string.IsNullOrWhiteSpace(vault.Path))
        {
            failures.Add($"{Section}:Path must name the KV v2 secret (e.g. soma/signing-keys).");
        }

        if (string.IsNullOrWhiteSpace(vault.Mount))
        {
            failures.Add($"{Section}:Mount must not be empty.");
        }

        var ways = new[] { vault.Token, vault.TokenPath, vault.KubernetesRole }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (ways != 1)
        {
            failures.Add($"{Section} needs exactly one of Token, TokenPath or KubernetesRole (got {ways}).");
        }

        if (vault.PollInterval < TimeSpan.FromSeconds(0.1) || vault.PollInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:PollInterval must be between 00:00:00.1 and 01:00:00 (got {vault.PollInterval}).");
        }

        if (vault.Timeout <= TimeSpan.Zero || vault.Timeout > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{Section}:Timeout must be more than zero and at most 00:01:00 (got {vault.Timeout}).");
        }
    }
}
