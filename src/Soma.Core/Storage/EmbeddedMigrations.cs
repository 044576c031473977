using System.Reflection;

namespace Soma.Core.Storage;

/// <summary>
/// Loads an adapter's migrations: SQL files embedded as <c>migrations/NNNN_name.sql</c>, applied in name order and
/// recorded by name (without the extension).
/// </summary>
public static class EmbeddedMigrations
{
    private const string Prefix = "migrations/";

    /// <summary>The migrations embedded in <paramref name="assembly"/>, in the order they apply.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<(string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Migration resource {resource} is missing.");
            using var reader = new StreamReader(stream);
            migrations.Add((Path.GetFileNameWithoutExtension(resource[Prefix.Length..]), reader.ReadToEnd()));
        }

        return migrations;
    }
}
