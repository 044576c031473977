using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Soma.Memory.Cache;

/// <summary>Checks <see cref="RecallCacheOptions"/> at start-up; each failure names its configuration key.</summary>
internal sealed class RecallCacheOptionsValidator : IValidateOptions<RecallCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, RecallCacheOptions options)
    {
        var failures = new List<string>();
        const string Section = RecallCacheOptions.SectionName;
        var isRedis = options.IsRedis;
        if (!isRedis && !string.Equals(options.Provider, RecallCacheOptions.InProcessProvider, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{Section}:Provider must be '{RecallCacheOptions.InProcessProvider}' or '{RecallCacheOptions.RedisProvider}' (got '{options.Provider}').");
        }

        if (options.TtlSeconds is < 1 or > 86_400)
        {
            failures.Add($"{Section}:TtlSeconds must be between 1 and 86400 (got {options.TtlSeconds}).");
        }

        if (options.MaxEntries is < 1 or > 10_000_000)
        {
            failures.Add($"{Section}:MaxEntries must be between 1 and 10000000 (got {options.MaxEntries}).");
        }

        if (options.OperationTimeoutMilliseconds is < 1 or > 60_000)
        {
            failures.Add($"{Section}:OperationTimeoutMilliseconds must be between 1 and 60000 (got {options.OperationTimeoutMilliseconds}).");
        }

        if (isRedis)
        {
            if (string.IsNullOrWhiteSpace(options.RedisConfiguration))
            {
                failures.Add($"{Section}:RedisConfiguration must be set when {Section}:Provider is '{RecallCacheOptions.RedisProvider}'.");
            }
            else
            {
                try
                {
                    if (ConfigurationOptions.Parse(options.RedisConfiguration).EndPoints.Count == 0)
                    {
                        failures.Add($"{Section}:RedisConfiguration names no endpoint.");
                    }
                }
                catch (ArgumentException)
                {
                    // The string may hold a password: name the key, never echo the value.
                    failures.Add($"{Section}:RedisConfiguration is not a valid StackExchange.Redis configuration string.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
