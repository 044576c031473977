namespace Soma.Gateway.Tests.Web;

/// <summary>The chat fixture with the model id <c>soma serve --demo</c> gives its scripted model.</summary>
public sealed class DemoModelBrowserFixture : ChatBrowserFixture
{
    protected override void Configure(Dictionary<string, string?> configuration) =>
        configuration["Soma:Models:Endpoints:dev:Model"] = Soma.Server.Hosting.DemoMode.ModelId;
}
