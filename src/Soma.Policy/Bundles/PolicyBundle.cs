using Soma.Policy.Rego;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Bundles;

/// <summary>
/// A loaded, compiled and tested set of policy files: the Rego modules, the data (<c>roles.yaml</c> as
/// <c>data.soma.roles</c>, other JSON/YAML files merged at the root) and the version that names this exact content.
/// </summary>
/// <param name="Version">A hash of every file's path and content (<c>sha256:…</c>, 16 hex digits): equal content, equal version, on every process.</param>
/// <param name="Policy">The compiled policy.</param>
/// <param name="Data">The base document.</param>
/// <param name="Files">The files loaded, relative to the folder given.</param>
/// <param name="Tests">How many <c>test_</c> rules ran and passed at load.</param>
/// <param name="LoadedAt">When it was loaded.</param>
public sealed record PolicyBundle(string Version, CompiledPolicy Policy, Value Data, IReadOnlyList<string> Files, int Tests, DateTimeOffset LoadedAt);
