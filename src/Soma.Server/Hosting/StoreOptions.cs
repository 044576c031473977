namespace Soma.Server.Hosting;

/// <summary>Which store engine holds the platform's state, bound from <c>Soma:Store</c>.</summary>
internal sealed class StoreOptions
{
    public const string SectionName = "Soma:Store";

    /// <summary><c>sqlite</c> (default, a file in the data directory) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";
}
