using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Soma.Policy.Opa;

/// <summary>
/// Checks what data annotations cannot: the URL is required when <c>Soma:Policy:Provider</c> is <c>opa</c> and must be
/// an absolute http(s) URL; the token must fit in one header line. Each failure names its key; neither the token nor a
/// URL's user info is ever echoed.
/// </summary>
/// <param name="configuration">Where <c>Soma:Policy:Provider</c> is read.</param>
internal sealed class OpaOptionsValidator(IConfiguration configuration) : IValidateOptions<OpaOptions>
{
    /// <summary>The key that chooses the policy engine.</summary>
    public const string ProviderKey = "Soma:Policy:Provider";

    public ValidateOptionsResult Validate(string? name, OpaOptions options)
    {
        const string Prefix = OpaOptions.SectionName;
        var failures = new List<string>();
        var isProvider = string.Equals(configuration[ProviderKey], OpaPolicyEngine.EngineName, StringComparison.OrdinalIgnoreCase);
        if (options.Url is null)
        {
            if (isProvider)
            {
                failures.Add($"{Prefix}:Url is required when {ProviderKey} is opa (the OPA server's root URL, e.g. http://127.0.0.1:8181/).");
            }
        }
        else if (!options.Url.IsAbsoluteUri || options.Url.Scheme is not ("http" or "https"))
        {
            failures.Add(options.Url.IsAbsoluteUri && options.Url.UserInfo.Length > 0
                ? $"{Prefix}:Url must be an absolute http(s) URL."
                : $"{Prefix}:Url must be an absolute http(s) URL (got '{options.Url}').");
        }

        if (options.Token is { Length: > 0 } token && (token.Contains('\r', StringComparison.Ordinal) || token.Contains('\n', StringComparison.Ordinal)))
        {
            failures.Add($"{Prefix}:Token must be a single line.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
