using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Agents.Models;
using Soma.Core.Health;
using Soma.Server.Dev;

namespace Soma.Agents.Tests.Models;

/// <summary>
/// The model router against a loopback OpenAI-compatible server (<see cref="DevModelServer"/>, the stand-in for the
/// provider) serving two models, <c>primary</c> tried first and <c>secondary</c>, told apart by model id.
/// </summary>
public sealed class ModelRouterTests : IAsyncLifetime
{
    private const string PrimaryId = "primary-model";
    private const string SecondaryId = "secondary-model";

    private static readonly ChatMessage[] Question = [new(ChatRole.User, "What is the capital of France?")];

    // No test may hang the run: every call gives up after this.
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private DevModelServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await DevModelServer.StartAsync(new DevModelServerOptions(), _timeout.Token);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _metrics.DisposeAsync();
        _timeout.Dispose();
    }

    [Theory]
    [InlineData(429)]
    [InlineData(408)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task A_primary_that_is_busy_or_down_passes_the_call_to_the_next_model(int status)
    {
        using var router = Router();
        _server.Enqueue(ScriptedResponse.Error(status), PrimaryId);
        _server.Enqueue(ScriptedResponse.Text("Paris is the capital."), SecondaryId);

        var streamed = new List<string>();
        var result = await CallAsync(router, streamed);

        Assert.Equal("secondary", result.Model);
        Assert.Equal("Paris is the capital.", result.Text);
        Assert.Equal("Paris is the capital.", string.Concat(streamed));
        Assert.Equal([$"primary: HTTP {status}"], result.FellBackFrom);
        Assert.Equal([PrimaryId, SecondaryId], _server.Requests.Select(r => r.Model));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    public async Task A_primary_that_refuses_the_call_fails_it_at_once_without_trying_another_model(int status)
    {
        using var router = Router();
        _server.Enqueue(ScriptedResponse.Error(status), PrimaryId);

        var error = await Assert.ThrowsAsync<ModelCallException>(() => CallAsync(router));

        Assert.Equal("model.rejected", error.Code);
        Assert.False(error.Retryable);
        Assert.Equal($"Model 'primary' refused the call (HTTP {status}): check its Endpoint, Model and ApiKey.", error.Message);
        Assert.Equal([PrimaryId], _server.Requests.Select(r => r.Model));
    }

    [Fact]
    public async Task When_no_model_can_answer_the_call_fails_retryably_naming_each_model_and_why()
    {
        using var router = Router();
        _server.Enqueue(ScriptedResponse.Error(503), PrimaryId);
        _server.Enqueue(ScriptedResponse.Error(500), SecondaryId);

        var error = await Assert.ThrowsAsync<ModelCallException>(() => CallAsync(router));

        Assert.Equal("model.unavailable", error.Code);
        Assert.True(error.Retryable);
        Assert.Equal("No model could answer: primary: HTTP 503; secondary: HTTP 500.", error.Message);
    }

    [Fact]
    public async Task A_stream_cut_after_text_was_shown_fails_the_call_instead_of_starting_over_on_another_model()
    {
        using var router = Router();
        _server.Enqueue(new ScriptedResponse { TextChunks = ["Paris", " is", " the", " capital."], CutAfterChunks = 2 }, PrimaryId);

        var streamed = new List<string>();
        var error = await Assert.ThrowsAsync<ModelCallException>(() => CallAsync(router, streamed));

        Assert.Equal("model.stream_broken", error.Code);
        Assert.True(error.Retryable);
        Assert.StartsWith("Model 'primary' stopped in the middle of its answer", error.Message, StringComparison.Ordinal);
        Assert.Equal("Paris is", string.Concat(streamed));
        Assert.Equal([PrimaryId], _server.Requests.Select(r => r.Model));
    }

    [Fact]
    public async Task A_stream_cut_before_any_text_falls_back_to_the_next_model()
    {
        using var router = Router();
        _server.Enqueue(new ScriptedResponse { TextChunks = ["Paris"], CutAfterChunks = 0 }, PrimaryId);
        _server.Enqueue(ScriptedResponse.Text("Paris."), SecondaryId);

        var streamed = new List<string>();
        var result = await CallAsync(router, streamed);

        Assert.Equal("secondary", result.Model);
        Assert.Equal("Paris.", string.Concat(streamed));
        Assert.StartsWith("primary: ", Assert.Single(result.FellBackFrom), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_enough_failures_the_primarys_breaker_opens_and_calls_skip_it_until_it_closes()
    {
        using var router = Router(breakerFailures: 2);
        for (var i = 0; i < 2; i++)
        {
            _server.Enqueue(ScriptedResponse.Error(503), PrimaryId);
            _server.Enqueue(ScriptedResponse.Text("Paris."), SecondaryId);
            Assert.Equal("secondary", (await CallAsync(router)).Model);
        }

        _server.Enqueue(ScriptedResponse.Text("Paris."), SecondaryId);
        var skipped = await CallAsync(router);

        Assert.Equal(["primary: breaker open"], skipped.FellBackFrom);
        Assert.Equal(2, _server.Requests.Count(r => r.Model == PrimaryId));
        var health = await router.CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal("open", Breaker(health, "primary"));
        Assert.Equal("closed", Breaker(health, "secondary"));
    }

    [Fact]
    public async Task A_primary_whose_break_ran_out_reads_half_open_with_no_call_and_closed_after_its_next_success()
    {
        // Polly half-opens a breaker only when a call arrives: with no traffic, a model that had recovered read "open" in
        // /v1/health and in soma_model_breaker_state for good.
        var options = new ModelOptions { BreakerFailures = 2, BreakerSeconds = 1 };
        options.Endpoints["primary"] = Endpoint(PrimaryId);
        options.Endpoints["secondary"] = Endpoint(SecondaryId);
        options.Fallback.Add("primary");
        options.Fallback.Add("secondary");
        using var router = Router(options);
        for (var i = 0; i < 2; i++)
        {
            _server.Enqueue(ScriptedResponse.Error(503), PrimaryId);
            _server.Enqueue(ScriptedResponse.Text("Paris."), SecondaryId);
            Assert.Equal("secondary", (await CallAsync(router)).Model);
        }

        Assert.Equal("open", Breaker(await router.CheckHealthAsync(), "primary"));

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var waited = await router.CheckHealthAsync();
        Assert.Equal("halfopen", Breaker(waited, "primary"));
        Assert.Equal(HealthStatus.Degraded, waited.Status);

        _server.Enqueue(ScriptedResponse.Text("Paris."), PrimaryId);
        var result = await CallAsync(router);
        Assert.Equal("primary", result.Model);
        var healed = await router.CheckHealthAsync();
        Assert.Equal("closed", Breaker(healed, "primary"));
        Assert.Equal(HealthStatus.Normal, healed.Status);
    }

    [Fact]
    public async Task A_refused_call_does_not_count_toward_the_breaker()
    {
        // A wrong request says nothing about whether the model is up: its breaker stays closed however many there are.
        using var router = Router(breakerFailures: 2);
        for (var i = 0; i < 3; i++)
        {
            _server.Enqueue(ScriptedResponse.Error(400), PrimaryId);
            await Assert.ThrowsAsync<ModelCallException>(() => CallAsync(router));
        }

        _server.Enqueue(ScriptedResponse.Text("Paris."), PrimaryId);
        var result = await CallAsync(router);

        Assert.Equal("primary", result.Model);
        Assert.Empty(result.FellBackFrom);
        Assert.Equal(HealthStatus.Normal, (await router.CheckHealthAsync()).Status);
    }

    [Fact]
    public async Task Tool_calls_come_back_under_their_registered_names_with_arguments_usage_and_finish_reason()
    {
        using var router = Router();
        _server.Enqueue(
            ScriptedResponse.Tools(new ScriptedToolCall("call_7", "time__now", """{"zone":"Europe/Paris"}""")) with { Usage = new ScriptedUsage(120, 9) },
            PrimaryId);
        var timeNow = AIFunctionFactory.CreateDeclaration(
            ToolNames.ToWire("time.now"), "The current time.", JsonElement.Parse("""{"type":"object","properties":{"zone":{"type":"string"}}}"""));

        var result = await router.CallAsync(Question, [timeNow], _ => ValueTask.CompletedTask, _timeout.Token);

        var call = Assert.Single(result.ToolCalls);
        Assert.Equal("call_7", call.Id);
        Assert.Equal("time.now", call.Tool);
        Assert.Equal("Europe/Paris", JsonElement.Parse(call.ArgumentsJson).GetProperty("zone").GetString());
        Assert.Equal("tool_calls", result.FinishReason);
        Assert.Equal(120, result.InputTokens);
        Assert.Equal(9, result.OutputTokens);
        Assert.Equal(["time__now"], Assert.Single(_server.Requests).ToolNames);
    }

    [Fact]
    public async Task Without_a_configured_model_a_call_fails_for_good_saying_how_to_configure_one()
    {
        using var router = new ModelRouter(Options.Create(new ModelOptions()), NullLogger<ModelRouter>.Instance, _metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

        var error = await Assert.ThrowsAsync<ModelCallException>(() => CallAsync(router));

        Assert.False(router.IsConfigured);
        Assert.Equal("model.not_configured", error.Code);
        Assert.False(error.Retryable);
        Assert.Contains("Soma:Models:Endpoints:<name>:Endpoint", error.Message, StringComparison.Ordinal);
        var health = await router.CheckHealthAsync();
        Assert.Equal(HealthStatus.Normal, health.Status);
        Assert.False((bool)health.Details["configured"]!);
    }

    [Fact]
    public void The_fallback_list_orders_the_models_by_name_or_alias_and_without_one_they_go_in_name_order()
    {
        var options = new ModelOptions();
        options.Endpoints["b-local"] = Endpoint("llama", "fast");
        options.Endpoints["a-remote"] = Endpoint("gpt", "big");
        using (var byName = Router(options))
        {
            Assert.Equal(["a-remote", "b-local"], byName.Names);
        }

        options.Fallback.Add("FAST");
        options.Fallback.Add("a-remote");
        options.Fallback.Add("b-local");
        using var ordered = Router(options);
        Assert.Equal(["b-local", "a-remote"], ordered.Names);
    }

    private Task<ModelCallResult> CallAsync(ModelRouter router, List<string>? streamed = null) =>
        router.CallAsync(Question, [], piece =>
        {
            streamed?.Add(piece);
            return ValueTask.CompletedTask;
        }, _timeout.Token);

    private ModelRouter Router(int breakerFailures = 3)
    {
        var options = new ModelOptions { BreakerFailures = breakerFailures, BreakerSeconds = 600 };
        options.Endpoints["primary"] = Endpoint(PrimaryId);
        options.Endpoints["secondary"] = Endpoint(SecondaryId);
        options.Fallback.Add("primary");
        options.Fallback.Add("secondary");
        return Router(options);
    }

    private ModelRouter Router(ModelOptions options) =>
        new(Options.Create(options), NullLogger<ModelRouter>.Instance, _metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    private ModelEndpointOptions Endpoint(string modelId, string? alias = null)
    {
        var endpoint = new ModelEndpointOptions { Endpoint = _server.BaseAddress, Model = modelId, TimeoutSeconds = 60 };
        if (alias is not null)
        {
            endpoint.Aliases.Add(alias);
        }

        return endpoint;
    }

    private static string? Breaker(ComponentHealth health, string model) =>
        ((IReadOnlyDictionary<string, object?>)health.Details[model]!)["breaker"] as string;
}
