
namespace Soma.Server.Hosting;

/// <summary>
/// The one place that says where configuration comes from, for <c>serve</c> and every other verb alike:
/// <c>appsettings.json</c> beside the executable, then <c>appsettings.{environment}.json</c>, then
/// <c>ASPNETCORE_HTTP_PORTS</c> (as <c>Urls</c> on every interface), then environment variables
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
            .AddInMemoryCollection(HttpPortsAsUrls(Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS")))
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides);
    }

    /// <summary>
    /// <c>ASPNETCORE_HTTP_PORTS=8080</c> (what container images and the Helm chart set) as <c>Urls=http://+:8080</c>.
    /// ASP.NET Core reads it only when <c>Urls</c> is unset, and <c>appsettings.json</c> sets <c>Urls</c> to a loopback
    /// address for a laptop; so the ports win over the files here, while <c>URLS</c> and <c>--urls</c> still win over them.
    /// </summary>
    public static Dictionary<string, string?> HttpPortsAsUrls(string? httpPorts)
    {
        var ports = (httpPorts ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return ports.Length == 0
            ? []
            : new Dictionary<string, string?> { ["Urls"] = string.Join(';', ports.Select(port => $"http://+:{port}")) };
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

    /// <summary>
    /// Fills in the key ring's defaults: the ring file <c>{DataDir}/keys.json</c>, and the source: <c>KeyFile</c> when
    /// <c>Soma:Auth:Hs256KeyPath</c> is set (a server set up before the ring keeps its one shared key), else <c>DataDir</c>.
    /// </summary>
    public static void ResolveKeyRing(Gateway.Auth.Keys.KeyRingOptions keys, IConfiguration configuration)
    {
        keys.File = string.IsNullOrWhiteSpace(keys.File) ? Path.Combine(ResolveDataDir(configuration), "keys.json") : Path.GetFullPath(keys.File);
        keys.Source ??= configuration["Soma:Auth:Hs256KeyPath"] is { Length: > 0 }
            ? Gateway.Auth.Keys.KeySourceKind.KeyFile
            : Gateway.Auth.Keys.KeySourceKind.DataDir;
    }

    /// <summary>The key ring's options as configured (for CLI verbs that run without the server's container).</summary>
    public static Gateway.Auth.Keys.KeyRingOptions KeyRing(IConfiguration configuration)
    {
        var keys = configuration.GetSection(Gateway.Auth.Keys.KeyRingOptions.SectionName).Get<Gateway.Auth.Keys.KeyRingOptions>() ?? new();
        ResolveKeyRing(keys, configuration);
        return keys;
    }
}
