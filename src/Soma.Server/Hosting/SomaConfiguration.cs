
namespace Soma.Server.Hosting;

/// <summary>
/// The one place that says where configuration comes from, for <c>serve</c> and every other verb alike:
/// <c>appsettings.json</c> beside the executable, then <c>appsettings.{environment}.json</c>, then environment variables
/// (<c>SOMA__STORE__PROVIDER</c> is <c>Soma:Store:Provider</c>), then the command line's own options.
/// </summary>
internal static class SomaConfiguration
{
    public static IConfigurationBuilder AddSomaSources(this IConfigurationBuilder builder, IReadOnlyDictionary<string, string?> overrides)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? "Production";
        return builder
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environment}.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides);
    }

    public static IConfigurationRoot Build(IReadOnlyDictionary<string, string?> overrides) =>
        new ConfigurationBuilder().AddSomaSources(overrides).Build();

    /// <summary>The data directory as an absolute path (relative paths are taken from the working directory).</summary>
    public static string ResolveDataDir(IConfiguration configuration) =>
        Path.GetFullPath(configuration[$"{SomaOptions.SectionName}:DataDir"] is { Length: > 0 } dir ? dir : "./.soma");

    /// <summary>The embedded store's database file: <c>Soma:Store:Sqlite:Path</c>, or <c>soma.db</c> in the data directory.</summary>
    public static string ResolveSqlitePath(IConfiguration configuration) =>
        configuration["Soma:Store:Sqlite:Path"] is { Length: > 0 } path && !string.IsNullOrWhiteSpace(path)
            ? Path.GetFullPath(path)
            : Path.Combine(ResolveDataDir(configuration), "soma.db");

    /// <summary>The HS256 key file: <c>Soma:Auth:Hs256KeyPath</c>, or <c>jwt-hs256.key</c> in the data directory.</summary>
    public static string ResolveHs256KeyPath(IConfiguration configuration) =>
        configuration["Soma:Auth:Hs256KeyPath"] is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(ResolveDataDir(configuration), "jwt-hs256.key");
}
