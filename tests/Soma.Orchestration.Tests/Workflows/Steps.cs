using System.Text.Json;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>Step functions and values the tests share.</summary>
internal static class Steps
{
    public static readonly StepFunction Noop = (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(true));

    public static readonly JsonElement EmptyInput = JsonElement.Parse("{}");

    public static JsonElement ParseJson(string text) => JsonElement.Parse(text);

    public static WorkflowDefinitionException Refused(WorkflowBuilder builder) => Assert.Throws<WorkflowDefinitionException>(() => builder.Build());
}
