using Microsoft.Playwright;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// A SomaAgent server and a headless Chromium for the browser tests. The browser is Debian's (apt package
/// <c>chromium</c>; test.sh installs it): Playwright's own browser downloads are not used. A missing browser fails
/// every test of the class with a message that says what to install, rather than skipping them.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public RunningServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The web UI tests drive Debian's Chromium at {ChromiumPath}, which is missing: install it with 'apt-get install chromium' (test.sh does).");
        }

        Assertions.SetDefaultExpectTimeout(15_000);
        Server = await StartServerAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>Starts the server the pages talk to.</summary>
    protected virtual Task<RunningServer> StartServerAsync() => RunningServer.StartAsync();

    /// <summary>A fresh browser profile (no cookies, no storage) pointed at the server.</summary>
    public async Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(15_000);
        return context;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
