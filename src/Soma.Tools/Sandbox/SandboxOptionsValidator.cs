using Microsoft.Extensions.Options;

namespace Soma.Tools.Sandbox;

/// <summary>Checks <c>Soma:Sandbox</c> at start: known profiles, positive limits.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    private static readonly string[] Profiles = ["bubblewrap", "gvisor"];

    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!Profiles.Contains(options.DefaultProfile, StringComparer.Ordinal))
        {
            errors.Add($"{SandboxOptions.SectionName}:DefaultProfile must be bubblewrap or gvisor (it is '{options.DefaultProfile}').");
        }

        foreach (var (tool, profile) in options.Tools)
        {
            if (!Profiles.Contains(profile, StringComparer.Ordinal))
            {
                errors.Add($"{SandboxOptions.SectionName}:Tools:{tool} must be bubblewrap or gvisor (it is '{profile}').");
            }
        }

        void Positive(string key, long value)
        {
            if (value <= 0)
            {
                errors.Add($"{SandboxOptions.SectionName}:{key} must be positive (it is {value}).");
            }
        }

        Positive(nameof(options.TimeoutSeconds), options.TimeoutSeconds);
        Positive(nameof(options.MaxOutputBytes), options.MaxOutputBytes);
        Positive(nameof(options.CpuSeconds), options.CpuSeconds);
        Positive(nameof(options.MemoryMegabytes), options.MemoryMegabytes);
        Positive(nameof(options.FileSizeMegabytes), options.FileSizeMegabytes);
        Positive(nameof(options.Processes), options.Processes);
        Positive(nameof(options.OpenFiles), options.OpenFiles);
        Positive(nameof(options.TmpMegabytes), options.TmpMegabytes);
        if (options.ParkedLaunchers is < 0 or > 16)
        {
            errors.Add($"{SandboxOptions.SectionName}:{nameof(options.ParkedLaunchers)} must be between 0 and 16 (it is {options.ParkedLaunchers}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
