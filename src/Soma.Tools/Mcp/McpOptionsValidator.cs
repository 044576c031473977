using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Soma.Tools.Mcp;

/// <summary>Checks <c>Soma:Mcp</c> at start, naming the key of each problem (never a header's value).</summary>
internal sealed partial class McpOptionsValidator : IValidateOptions<McpOptions>
{
    private static readonly string[] Profiles = ["bubblewrap", "gvisor"];

    public ValidateOptionsResult Validate(string? name, McpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.ReconnectDelayMilliseconds <= 0)
        {
            errors.Add($"{McpOptions.SectionName}:ReconnectDelayMilliseconds must be positive (it is {options.ReconnectDelayMilliseconds}).");
        }

        if (options.ReconnectMaxSeconds <= 0)
        {
            errors.Add($"{McpOptions.SectionName}:ReconnectMaxSeconds must be positive (it is {options.ReconnectMaxSeconds}).");
        }

        foreach (var (server, o) in options.Servers)
        {
            var key = $"{McpOptions.SectionName}:Servers:{server}";
            if (!ServerName().IsMatch(server))
            {
                errors.Add($"{McpOptions.SectionName}:Servers: the server name '{server}' must match ^[a-z0-9][a-z0-9_-]{{0,30}}$ (lower-case letters, digits, '_' and '-', at most 31 characters).");
            }
            else if (server.Contains("__", StringComparison.Ordinal) || server.EndsWith('_'))
            {
                // Tool names reach models with each '.' as "__"; "a__b" or "a_" would not come back as the same name.
                errors.Add($"{McpOptions.SectionName}:Servers: the server name '{server}' must not contain '__' nor end with '_'.");
            }

            var hasCommand = !string.IsNullOrWhiteSpace(o.Command);
            var hasUrl = !string.IsNullOrWhiteSpace(o.Url);
            if (hasCommand == hasUrl)
            {
                errors.Add($"{key} must set exactly one of Command (a stdio server) or Url (an HTTP server).");
            }

            if (o.TimeoutSeconds <= 0)
            {
                errors.Add($"{key}:TimeoutSeconds must be positive (it is {o.TimeoutSeconds}).");
            }

            if (hasCommand)
            {
                if (!string.IsNullOrEmpty(o.Profile) && !Profiles.Contains(o.Profile, StringComparer.Ordinal))
                {
                    errors.Add($"{key}:Profile must be bubblewrap or gvisor (it is '{o.Profile}').");
                }

                if (o.Headers.Count > 0)
                {
                    errors.Add($"{key}:Headers applies to HTTP servers only; a stdio server takes Environment.");
                }

                foreach (var variable in o.Environment.Keys.Where(v => !EnvironmentName().IsMatch(v)))
                {
                    errors.Add($"{key}:Environment: '{variable}' is not a valid variable name.");
                }
            }

            if (hasUrl)
            {
                if (!Uri.TryCreate(o.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                {
                    errors.Add($"{key}:Url must be an absolute http or https URL.");
                }

                if (o.Arguments.Count > 0 || o.Environment.Count > 0 || !string.IsNullOrEmpty(o.Profile))
                {
                    errors.Add($"{key}: Arguments, Environment and Profile apply to stdio servers only.");
                }

                foreach (var header in o.Headers.Keys.Where(h => !HeaderName().IsMatch(h)))
                {
                    errors.Add($"{key}:Headers: '{header}' is not a valid header name.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,30}$")]
    internal static partial Regex ServerName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex HeaderName();
}
