using System.Globalization;
using Microsoft.Extensions.Options;

namespace Soma.Memory.Embeddings;

/// <summary>Checks <see cref="EmbeddingOptions"/> at start-up; each failure names its key, and the API key is never echoed.</summary>
internal sealed class EmbeddingOptionsValidator : IValidateOptions<EmbeddingOptions>
{
    public ValidateOptionsResult Validate(string? name, EmbeddingOptions options)
    {
        var failures = new List<string>();
        const string Section = EmbeddingOptions.SectionName;
        if (!options.IsInProcess && !options.IsOpenAI && !options.IsNone)
        {
            failures.Add($"{Section}:Provider must be '{EmbeddingOptions.InProcessProvider}', '{EmbeddingOptions.OpenAIProvider}' or '{EmbeddingOptions.NoneProvider}' (got '{options.Provider}').");
        }

        if (options.IsInProcess && InProcessModels.Find(options.Model) is null)
        {
            failures.Add($"{Section}:Model '{options.Model}' is not an in-process model; known models: {string.Join(", ", InProcessModels.Ids)}.");
        }

        if (options.IsOpenAI)
        {
            if (string.IsNullOrWhiteSpace(options.Model))
            {
                failures.Add($"{Section}:Model must name the endpoint's model when {Section}:Provider is '{EmbeddingOptions.OpenAIProvider}'.");
            }

            if (options.BaseUrl is null)
            {
                failures.Add($"{Section}:BaseUrl must be set when {Section}:Provider is '{EmbeddingOptions.OpenAIProvider}'.");
            }

            var known = InProcessModels.Find(options.Model) is not null;
            if (options.Dimensions is null && !known)
            {
                failures.Add($"{Section}:Dimensions must be set when {Section}:Provider is '{EmbeddingOptions.OpenAIProvider}' and the model ('{options.Model}') is not one this process knows.");
            }

            if (options.MatchFloor is null && !known)
            {
                failures.Add($"{Section}:MatchFloor must be set when {Section}:Provider is '{EmbeddingOptions.OpenAIProvider}' and the model ('{options.Model}') is not one this process knows (measure it: see docs/memory.md#models).");
            }
        }

        if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            failures.Add($"{Section}:BaseUrl must be an absolute http(s) URL (got '{url}').");
        }

        if (options.ApiKey is { Length: > 0 } key && (key.Contains('\r', StringComparison.Ordinal) || key.Contains('\n', StringComparison.Ordinal)))
        {
            failures.Add($"{Section}:ApiKey must be a single line.");
        }

        Range(failures, "Threads", options.Threads, 1, 256);
        Range(failures, "BatchSize", options.BatchSize, 1, 256);
        Range(failures, "QueueCapacity", options.QueueCapacity, 1, 100_000);
        Range(failures, "TimeoutMilliseconds", options.TimeoutMilliseconds, 10, 600_000);
        if (options.Dimensions is { } dimensions)
        {
            Range(failures, "Dimensions", dimensions, 1, 65_536);
        }

        if (options.MatchFloor is { } floor && (double.IsNaN(floor) || floor is < -1 or > 1))
        {
            failures.Add($"{Section}:MatchFloor must be a cosine similarity between -1 and 1 (got {floor.ToString(CultureInfo.InvariantCulture)}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{EmbeddingOptions.SectionName}:{key} must be between {min} and {max} (got {value})."));
        }
    }
}
