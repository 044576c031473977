namespace Soma.Server.Hosting;

/// <summary>What <c>soma serve</c> was asked on its command line; null means "as configured".</summary>
internal sealed record ServeSettings(string? DataDir = null, string? Urls = null, string? Roles = null)
{
    /// <summary>Further configuration keys applied over every other source (used when the server is embedded, e.g. by tests).</summary>
    public IReadOnlyDictionary<string, string?> Extra { get; init; } = new Dictionary<string, string?>();

    /// <summary>Services added after every other registration (used when the server is embedded, e.g. by tests adding a tool).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>The command line's options as configuration keys, applied over every other source.</summary>
    public IReadOnlyDictionary<string, string?> ToOverrides()
    {
        var overrides = new Dictionary<string, string?>(Extra, StringComparer.OrdinalIgnoreCase);
        if (DataDir is not null)
        {
            overrides["Soma:DataDir"] = DataDir;
        }

        if (Urls is not null)
        {
            overrides["Urls"] = Urls;
        }

        if (Roles is not null)
        {
            overrides["Soma:Roles"] = Roles;
        }

        return overrides;
    }
}
