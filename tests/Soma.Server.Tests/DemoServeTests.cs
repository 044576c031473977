using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Server.Hosting;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma serve --demo</c>: one command, and a message gets an answer from the scripted demo model.</summary>
public sealed class DemoServeTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-demo-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Serve_demo_answers_a_chat_message_and_says_everywhere_that_the_model_is_scripted()
    {
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--demo", "--data", Path.Combine(_work.FullName, "data"), "--urls", $"http://127.0.0.1:{port}"]);
        var output = await soma.WaitForOutputAsync("Authorization: Bearer", TimeSpan.FromSeconds(60));
        Assert.Contains("model: scripted demo model (not an AI)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("no model is configured", output, StringComparison.Ordinal);
        var token = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("eyJ", StringComparison.Ordinal));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        // What the web UI reads for its "scripted demo model" badge: the models component names the demo model.
        var health = await http.GetFromJsonAsync<JsonElement>("/v1/health");
        var models = health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "models");
        Assert.Equal("normal", models.GetProperty("status").GetString());
        Assert.Equal(DemoMode.ModelId, models.GetProperty("details").GetProperty(DemoMode.EndpointName).GetProperty("model").GetString());

        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "demo" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var posted = await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "hello, demo" });
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement? answer = null;
        while (answer is null && DateTime.UtcNow < deadline)
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/messages");
            answer = page.GetProperty("items").EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() == "assistant" && m.GetProperty("content").GetString() is { Length: > 0 })
                .Cast<JsonElement?>()
                .FirstOrDefault();
            await Task.Delay(100);
        }

        Assert.True(answer is not null, $"no answer within 60 s.\nstdout:\n{soma.Stdout}\nstderr:\n{soma.Stderr}");
        Assert.Equal("You said: hello, demo", answer.Value.GetProperty("content").GetString());

        // Usage is counted by endpoint name.
        var usage = await http.GetFromJsonAsync<JsonElement>("/v1/usage");
        Assert.Contains(usage.GetProperty("items").EnumerateArray(), i => i.GetProperty("model").GetString() == DemoMode.EndpointName);

        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Without_demo_the_banner_points_to_it_when_no_model_is_configured()
    {
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--data", Path.Combine(_work.FullName, "data"), "--urls", $"http://127.0.0.1:{port}"]);
        var output = await soma.WaitForOutputAsync("Authorization: Bearer", TimeSpan.FromSeconds(60));
        Assert.Contains("no model is configured: `soma serve --demo`", output, StringComparison.Ordinal);
        Assert.DoesNotContain("scripted demo model (not an AI)", output, StringComparison.Ordinal);
        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }
}
