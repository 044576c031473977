using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Server.Dev;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>After <c>Soma:Models:BreakerFailures</c> failures in a row a model's breaker opens: health shows it and calls skip it.</summary>
[SupportedOSPlatform("linux")]
public sealed class ModelBreakerTests : IAsyncLifetime
{
    private const int BreakerFailures = 3;
    private TwoModels _models = null!;

    public async ValueTask InitializeAsync() => _models = await TwoModels.StartAsync(BreakerFailures);

    public async ValueTask DisposeAsync() => await _models.DisposeAsync();

    [Fact]
    public async Task The_primary_breaker_opens_after_its_failures_shows_in_health_and_the_next_turn_never_calls_it()
    {
        using var client = _models.Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        for (var i = 0; i < BreakerFailures; i++)
        {
            _models.Model.Enqueue(ScriptedResponse.Error(500), TwoModels.PrimaryId);
            Assert.Equal("secondary", await AnsweredByAsync(client, session, $"turn {i}"));
        }

        Assert.Equal(BreakerFailures, _models.PrimaryCalls);
        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health");
        var models = health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "models");
        Assert.Equal("open", models.GetProperty("details").GetProperty("primary").GetProperty("breaker").GetString());
        Assert.Equal("closed", models.GetProperty("details").GetProperty("secondary").GetProperty("breaker").GetString());
        Assert.Equal("degraded", models.GetProperty("status").GetString());

        Assert.Equal("secondary", await AnsweredByAsync(client, session, "after the breaker opened"));
        Assert.Equal(BreakerFailures, _models.PrimaryCalls);
        Assert.Equal(BreakerFailures + 1, _models.SecondaryCalls);

        // What an operator's dashboard reads: the breaker open, the errors by kind, the call that skipped the open breaker.
        using var admin = _models.Server.For(ServerFixture.NewTenant(), "ops", "admin");
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains(Samples(metrics, "soma_model_breaker_state", "model=\"primary\""), v => v == 2);
        Assert.Contains(Samples(metrics, "soma_model_breaker_state", "model=\"secondary\""), v => v == 0);
        Assert.Contains(Samples(metrics, "soma_model_errors_total", "model=\"primary\"", "kind=\"http_5xx\""), v => v >= BreakerFailures);
        Assert.Contains(Samples(metrics, "soma_model_errors_total", "model=\"primary\"", "kind=\"breaker_open\""), v => v >= 1);
    }

    // Values of the samples of name whose labels hold every one of labels.
    private static IEnumerable<double> Samples(string exposition, string name, params string[] labels) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(label => l[..l.IndexOf('}', StringComparison.Ordinal)].Contains(label, StringComparison.Ordinal)))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    [Fact]
    public async Task Calls_their_caller_cancelled_never_open_the_breaker()
    {
        // A run that lost its lease (or a host that stops) cancels its model call: that says nothing about the model.
        var router = _models.Server.Services.GetRequiredService<Soma.Agents.Models.ModelRouter>();
        for (var i = 0; i <= BreakerFailures; i++)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => router.CallAsync(
                [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "[[delay:600]] slow")], [], _ => ValueTask.CompletedTask, cancel.Token));
        }

        var health = await router.CheckHealthAsync();
        Assert.Equal("closed", JsonSerializer.SerializeToElement(health.Details).GetProperty("primary").GetProperty("breaker").GetString());
    }

    private static async Task<string> AnsweredByAsync(HttpClient client, Guid session, string content)
    {
        var sent = await SendAsync(client, session, content);
        var run = await RunEndedAsync(client, sent.RunId);
        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        var answer = (await MessagesAsync(client, session)).Single(m => m.GetProperty("id").GetGuid() == sent.ReplyId);
        Assert.Equal($"You said: {content}", answer.GetProperty("content").GetString());
        return answer.GetProperty("metadata").GetProperty("model").GetString()!;
    }
}
