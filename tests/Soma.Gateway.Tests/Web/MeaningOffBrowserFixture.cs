namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The chat fixture with recall by meaning off (<c>Soma:Memory:Embeddings:Provider=None</c>): the embedded memory
/// service finds by words only, so what the memory panel shows for each search mode is known.
/// </summary>
public sealed class MeaningOffBrowserFixture : ChatBrowserFixture
{
    protected override void Configure(Dictionary<string, string?> configuration) =>
        configuration["Soma:Memory:Embeddings:Provider"] = "None";
}
