namespace Soma.Server.Hosting;

/// <summary>Process-wide settings, bound from <c>Soma</c>.</summary>
internal sealed class SomaOptions
{
    public const string SectionName = "Soma";

    /// <summary>Where the embedded store, keys and other local state live. Default <c>./.soma</c>, relative to the working directory.</summary>
    public string DataDir { get; set; } = "./.soma";

    /// <summary>Comma-separated roles this process runs (see <see cref="SomaRoles"/>). Default: all.</summary>
    public string Roles { get; set; } = SomaRoles.All;
}
