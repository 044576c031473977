using Microsoft.Extensions.Options;

namespace Soma.Tools.Registry;

/// <summary>Refuses the retired allow-list key, naming where grants live now.</summary>
internal sealed class ToolOptionsValidator : IValidateOptions<ToolOptions>
{
    public ValidateOptionsResult Validate(string? name, ToolOptions options) =>
        options.Allow.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                "Soma:Tools:Allow is no longer read: grant tools to roles in conf/roles.yaml (see docs/policy.md), then remove the key.");
}
