using static Microsoft.Playwright.Assertions;

namespace Soma.Gateway.Tests.Web;

/// <summary>markdown.js in the browser: each input and the DOM it builds, serialized.</summary>
public sealed class MarkdownTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const string Link = " rel=\"noopener noreferrer\" target=\"_blank\"";

    public static TheoryData<string, string> Cases => new()
    {
        { "Hello **world**", "<p>Hello <strong>world</strong></p>" },
        { "*a* _b_ ~~c~~ `d`", "<p><em>a</em> <em>b</em> <del>c</del> <code>d</code></p>" },
        { "***both*** *a **b** c* **a *b* c**", "<p><strong><em>both</em></strong> <em>a <strong>b</strong> c</em> <strong>a <em>b</em> c</strong></p>" },
        { "snake_case_name, 2*3*4, **unclosed, \\*escaped\\*", "<p>snake_case_name, 2<em>3</em>4, **unclosed, *escaped*</p>" },
        { "`` a`b `` and `<b>`", "<p><code>a`b</code> and <code>&lt;b&gt;</code></p>" },
        { "line one\nline two\n\n\nnext", "<p>line one<br>line two</p><p>next</p>" },
        { "# Title\n## Sub ##\ntext", "<h3 class=\"md-h1\">Title</h3><h4 class=\"md-h2\">Sub</h4><p>text</p>" },
        { "- a\n- b\n  - c\n- d", "<ul><li>a</li><li>b<ul><li>c</li></ul></li><li>d</li></ul>" },
        { "- a\n\n- b", "<ul><li><p>a</p></li><li><p>b</p></li></ul>" },
        { "3. x\n4. y\n   more", "<ol start=\"3\"><li>x</li><li>y<br>more</li></ol>" },
        { "text\n* item", "<p>text</p><ul><li>item</li></ul>" },
        { "```js\nif (a < b) {}\n```\nafter", "<pre><code data-lang=\"js\">if (a &lt; b) {}</code></pre><p>after</p>" },
        { "```\nstill streaming", "<pre><code>still streaming</code></pre>" },
        { "    indented code", "<pre><code>indented code</code></pre>" },
        { "> quoted\n> more", "<blockquote><p>quoted<br>more</p></blockquote>" },
        { "---", "<hr>" },
        {
            "| a | b |\n|:--|--:|\n| 1 | 2 |",
            "<div class=\"md-table\"><table><thead><tr><th class=\"align-left\">a</th><th class=\"align-right\">b</th></tr></thead>" +
            "<tbody><tr><td class=\"align-left\">1</td><td class=\"align-right\">2</td></tr></tbody></table></div>"
        },
        {
            "[x](https://a.example/p?q=1) <https://b.example> see https://c.example/x.",
            $"<p><a href=\"https://a.example/p?q=1\"{Link}>x</a> <a href=\"https://b.example/\"{Link}>https://b.example</a> see <a href=\"https://c.example/x\"{Link}>https://c.example/x</a>.</p>"
        },
        { "[**b**](http://x.example) ![alt](https://x.example/i.png)", $"<p><a href=\"http://x.example/\"{Link}><strong>b</strong></a> <a href=\"https://x.example/i.png\"{Link}>alt</a></p>" },
        { "[bad](javascript:alert(1)) [worse](data:text/html,x) <javascript:alert(1)>", "<p><span class=\"md-unsafe-link\">bad</span> <span class=\"md-unsafe-link\">worse</span> &lt;javascript:alert(1)&gt;</p>" },
        { "<b>x</b> & <script>alert(1)</script>", "<p>&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Markdown_builds_the_expected_elements(string markdown, string html)
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync("/");
        await Expect(page.GetByTestId("signin")).ToBeVisibleAsync();
        var rendered = await page.EvaluateAsync<string>(
            "async text => { const { renderMarkdown } = await import('/markdown.js'); const box = document.createElement('div'); box.append(renderMarkdown(text)); return box.innerHTML; }",
            markdown);
        Assert.Equal(html, rendered);
        problems.AssertNone();
    }
}
