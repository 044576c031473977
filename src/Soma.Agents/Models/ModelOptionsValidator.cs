using Microsoft.Extensions.Options;

namespace Soma.Agents.Models;

/// <summary>Checks <see cref="ModelOptions"/> at start: each endpoint complete, every fallback name known. Never echoes a key.</summary>
public sealed class ModelOptionsValidator : IValidateOptions<ModelOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, endpoint) in options.Endpoints)
        {
            var prefix = $"{ModelOptions.SectionName}:Endpoints:{key}";
            if (endpoint.Endpoint is null || !endpoint.Endpoint.IsAbsoluteUri || endpoint.Endpoint.Scheme is not ("http" or "https"))
            {
                failures.Add($"{prefix}:Endpoint must be an absolute http(s) URL.");
            }

            if (string.IsNullOrWhiteSpace(endpoint.Model))
            {
                failures.Add($"{prefix}:Model is required (the model id the server expects).");
            }

            if (endpoint.TimeoutSeconds is < 1 or > 3600)
            {
                failures.Add($"{prefix}:TimeoutSeconds must be between 1 and 3600.");
            }

            foreach (var alias in endpoint.Aliases.Prepend(key))
            {
                if (!known.Add(alias))
                {
                    failures.Add($"{prefix}: the name or alias '{alias}' is used twice.");
                }
            }
        }

        foreach (var entry in options.Fallback)
        {
            if (!known.Contains(entry))
            {
                failures.Add($"{ModelOptions.SectionName}:Fallback names '{entry}', which is not an endpoint name or alias.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
