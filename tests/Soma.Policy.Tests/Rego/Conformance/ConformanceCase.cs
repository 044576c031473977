using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Rego.Conformance;

/// <summary>One case of the corpus. <see cref="Inputs"/> has several entries for a <c>many!</c> input; <see cref="Want"/>
/// several for a <c>many!</c> result (one per query result or per input).</summary>
public sealed record ConformanceCase(
    string File,
    string Note,
    IReadOnlyList<string> Modules,
    Value? Data,
    IReadOnlyList<Value?> Inputs,
    string Query,
    IReadOnlyList<Value>? Want,
    bool WantMany,
    bool NoResult,
    string? Error,
    bool Skip,
    bool Strict)
{
    /// <summary>1 for the first case of a file with this note, 2 for a second one (some files repeat notes).</summary>
    public int Occurrence { get; init; } = 1;

    public string Id => Occurrence == 1 ? $"{File}: {Note}" : $"{File}: {Note} ({Occurrence})";

    public string Folder => File.Contains('/', StringComparison.Ordinal) ? File[..File.IndexOf('/', StringComparison.Ordinal)] : Path.GetFileNameWithoutExtension(File);
}
