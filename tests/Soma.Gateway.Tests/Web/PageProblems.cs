using Microsoft.Playwright;

namespace Soma.Gateway.Tests.Web;

/// <summary>Collects what a page must never do: throw, or trip its Content-Security-Policy.</summary>
internal sealed class PageProblems
{
    private readonly List<string> _problems = [];
    private readonly Lock _gate = new();

    private PageProblems()
    {
    }

    public static PageProblems Watch(IPage page)
    {
        var problems = new PageProblems();
        page.PageError += (_, error) => problems.Add("uncaught: " + error);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add("CSP: " + message.Text);
            }
        };
        return problems;
    }

    public void AssertNone()
    {
        lock (_gate)
        {
            Assert.True(_problems.Count == 0, string.Join("\n", _problems));
        }
    }

    private void Add(string problem)
    {
        lock (_gate)
        {
            _problems.Add(problem);
        }
    }
}
