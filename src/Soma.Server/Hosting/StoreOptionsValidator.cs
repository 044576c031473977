using Microsoft.Extensions.Options;

namespace Soma.Server.Hosting;

internal sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options) =>
        options.Provider is "sqlite" or "postgres"
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{StoreOptions.SectionName}:Provider must be 'sqlite' or 'postgres' (got '{options.Provider}').");
}
