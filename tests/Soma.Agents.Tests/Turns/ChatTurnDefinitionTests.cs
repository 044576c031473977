using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Soma.Agents.Turns;
using Soma.Core.Turns;
using Soma.Orchestration.Workflows;
using Soma.Server.Hosting;
using Soma.Testing;

namespace Soma.Agents.Tests.Turns;

/// <summary>
/// The <c>chat.turn</c> definition as the server composes it. A turn's checkpoint keeps each step's output under the
/// step's id, so the workflow's name, version and step ids are part of what a resumed turn reads back, like the golden
/// outputs of <see cref="TurnRecordFormatTests"/>; the loop's conditions read those outputs raw.
/// </summary>
public sealed class ChatTurnDefinitionTests : IAsyncLifetime
{
    private const int MaxToolRounds = 3;

    private static readonly JsonElement Input = ChatTurn.ToInput(new TurnInput(Guid.Empty, Guid.Empty, Guid.Empty));

    private readonly TempDirectory _dataDir = new("soma-agents-definition");
    private WebApplication _app = null!;

    private WorkflowDefinition Definition => _app.Services.GetRequiredService<ChatTurnWorkflow>().Definition;

    public ValueTask InitializeAsync()
    {
        _app = SomaApp.Build(new ServeSettings(DataDir: _dataDir.Path, Urls: "http://127.0.0.1:0")
        {
            Extra = new Dictionary<string, string?> { ["Soma:Agent:MaxToolRounds"] = MaxToolRounds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _dataDir.Dispose();
    }

    [Fact]
    public void The_turn_is_chat_turn_version_1_with_the_step_ids_its_checkpoints_are_kept_under()
    {
        var definition = Definition;

        Assert.Equal(("chat.turn", 1), (definition.Name, definition.Version));
        Assert.Equal(WorkflowDurability.PerStep, definition.Durability);
        Assert.Equal(["context", "rounds", "answer"], definition.TopologicalOrder);
        Assert.True(definition.TryGetLoop("rounds", out var rounds));
        Assert.Equal(["model", "tools"], rounds.TopologicalOrder);
        Assert.Equal(MaxToolRounds + 1, rounds.MaxIterations);
        Assert.Contains(_app.Services.GetServices<WorkflowDefinition>(), d => ReferenceEquals(d, definition));
    }

    [Theory]
    [InlineData("v1-model.json", true)]
    [InlineData(null, false)]
    public void A_checkpointed_model_output_with_tool_calls_runs_the_tools_and_another_round(string? golden, bool toolCalls)
    {
        var model = golden is null
            ? TurnJson.ToElement(new ModelOutput("primary", "Paris.", "Paris.", [], "stop", 10, 2, [new TurnMessage("assistant", "Paris.")]))
            : JsonElement.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Turns", "golden", golden)));
        var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["model"] = model };
        Assert.True(Definition.TryGetLoop("rounds", out var rounds));
        var tools = rounds.Body.Single(s => s.Id == "tools");

        Assert.Equal(toolCalls, tools.ShouldRun(new StepConditionContext(Input, outputs)));
        Assert.Equal(toolCalls, rounds.ContinueWhile(new StepConditionContext(Input, outputs)));
    }
}
