using Microsoft.Extensions.Options;

namespace Soma.Memory.Client;

/// <summary>
/// Checks what data annotations cannot: the URL's form, and the probe interval's bounds against each other. Each
/// failure names its key; the API key is never echoed.
/// </summary>
public sealed class MemoryClientOptionsValidator : IValidateOptions<MemoryClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, MemoryClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string Prefix = MemoryClientOptions.SectionName;
        if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            failures.Add($"{Prefix}:BaseUrl must be an absolute http(s) URL (got '{url}').");
        }

        if (options.ProbeIntervalMaxMilliseconds < options.ProbeIntervalMinMilliseconds)
        {
            failures.Add(
                $"{Prefix}:ProbeIntervalMaxMilliseconds ({options.ProbeIntervalMaxMilliseconds}) must not be below "
                + $"{Prefix}:ProbeIntervalMinMilliseconds ({options.ProbeIntervalMinMilliseconds}).");
        }

        if (options.ApiKey is { Length: > 0 } key && (key.Contains('\r', StringComparison.Ordinal) || key.Contains('\n', StringComparison.Ordinal)))
        {
            failures.Add($"{Prefix}:ApiKey must be a single line.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
