using System.Net.Http.Json;
using System.Text.Json;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Demo;

/// <summary>
/// The workflows shipped with the server: <c>demo.pipeline</c>, eleven steps with a fan-out/fan-in of pure steps and one
/// side-effecting webhook call that the policy must allow first (<c>authorize</c>, deciding on tool
/// <c>demo.pipeline.notify</c>), committing every step; <c>demo.pipeline.batched</c>, the same steps with batched
/// durability (the pure steps' results committed together); and <c>demo.approval</c>, which waits for an input and then
/// continues.
/// </summary>
public static class DemoWorkflows
{
    /// <summary>
    /// Builds <c>demo.pipeline</c> v1 (<see cref="WorkflowDurability.PerStep"/>) or, with batched durability,
    /// <c>demo.pipeline.batched</c> v1.
    /// </summary>
    public static WorkflowDefinition Pipeline(HttpClient http, DemoOptions options, PolicyGate policy, WorkflowDurability durability)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(durability);
        var builder = WorkflowDefinition.Create(durability.Mode == DurabilityMode.PerStep ? "demo.pipeline" : "demo.pipeline.batched", 1)
            .WithDurability(durability)
            .WithInputSchema("""
                {"type":"object","properties":{"order":{"type":"integer","minimum":1},"step_delay_ms":{"type":"integer","minimum":0,"maximum":10000}},"required":["order"],"additionalProperties":false}
                """)
            .Step("fetch", Slow(c => new { order = c.Input.GetProperty("order").GetInt32() }));
        foreach (var part in (string[])["price", "stock", "customer", "shipping"])
        {
            builder.Step($"enrich-{part}", Slow(c => new { part, order = c.Outputs["fetch"].GetProperty("order").GetInt32() }), o => o.After("fetch"));
        }

        return builder
            .Step("merge", Slow(c => new { parts = c.Outputs.Count }), o => o.After("enrich-price", "enrich-stock", "enrich-customer", "enrich-shipping"))
            .Step("score", Slow(c => new { score = c.Outputs["merge"].GetProperty("parts").GetInt32() * 10 }), o => o.After("merge"))
            .Step("authorize", policy.Decide("demo.pipeline.notify", arguments: c => JsonSerializer.SerializeToElement(new { score = c.Outputs["score"].GetProperty("score").GetInt32() })), o => o.After("score"))
            .Step("notify", (c, ct) => NotifyAsync(http, options, c, ct), o => o.After("score", "authorize").SideEffecting())
            .Step("archive", Slow(_ => new { archived = true }), o => o.After("notify"))
            .Step("done", Slow(c => new { order = c.Input.GetProperty("order").GetInt32(), archived = c.Outputs["archive"].GetProperty("archived").GetBoolean() }), o => o.After("archive"))
            .Build();
    }

    /// <summary>Builds <c>demo.approval</c> v1.</summary>
    public static WorkflowDefinition Approval() =>
        WorkflowDefinition.Create("demo.approval", 1)
            .WithDurability(WorkflowDurability.PerStep)
            .Step("prepare", (c, _) => Done(new { requested = true }))
            .Step("approve", (c, _) => ValueTask.FromResult(c.ResumeInput is { } decision ? StepOutcome.Succeeded(decision) : StepOutcome.Wait("approval")), o => o.After("prepare"))
            .Step("finish", (c, _) => Done(new { decision = c.Outputs["approve"] }), o => o.After("approve"))
            .Build();

    private static async ValueTask<StepOutcome> NotifyAsync(HttpClient http, DemoOptions options, StepContext context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.WebhookUrl))
        {
            return StepOutcome.Succeeded(new { delivered = false, reason = "Soma:Demo:WebhookUrl is not set" });
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, options.WebhookUrl)
        {
            Content = JsonContent.Create(new { run_id = context.RunId, step = context.StepId, score = context.Outputs["score"].GetProperty("score").GetInt32() }),
        };

        // The receiver dedupes on this key; it is the same on every attempt and every resume of this step.
        request.Headers.Add("Idempotency-Key", context.IdempotencyKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var retryable = (int)response.StatusCode >= 500 || response.StatusCode == System.Net.HttpStatusCode.TooManyRequests;
            return StepOutcome.Fail($"http.{(int)response.StatusCode}", $"The webhook answered {(int)response.StatusCode}.", retryable);
        }

        return StepOutcome.Succeeded(new { delivered = true, status = (int)response.StatusCode });
    }

    // Each pure step takes the input's optional step_delay_ms, so a demo run can be slow enough to watch (or to kill).
    private static StepFunction Slow<T>(Func<StepContext, T> produce) =>
        async (context, cancellationToken) =>
        {
            if (context.Input.TryGetProperty("step_delay_ms", out var delay) && delay.GetInt32() > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delay.GetInt32()), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }

            return StepOutcome.Succeeded(produce(context));
        };

    private static ValueTask<StepOutcome> Done<T>(T value) => ValueTask.FromResult(StepOutcome.Succeeded(value));
}
