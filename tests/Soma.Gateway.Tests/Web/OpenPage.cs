using Microsoft.Playwright;

namespace Soma.Gateway.Tests.Web;

/// <summary>A signed-in page in its own browser context; disposing it closes the context.</summary>
internal sealed record OpenPage(IBrowserContext Context, IPage Page, PageProblems Problems) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Context.DisposeAsync();
}
