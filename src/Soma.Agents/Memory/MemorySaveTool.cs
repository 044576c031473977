using System.Text.Json;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Soma.Agents.Memory;

/// <summary>
/// <c>memory.save</c>: keeps a note in long-term memory. The tool itself only checks the note; the turn's tools step
/// writes it to the outbox in the same commit as the step's result (<see cref="Turns.ChatTurnWorkflow"/>), so a saved
/// note has the same guarantee as every other memory write: committed with the turn, delivered even after an outage.
/// </summary>
public sealed class MemorySaveTool : ITool
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "memory.save";

    /// <summary>The longest note.</summary>
    public const int MaxText = 4000;

    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"text":{"type":"string","minLength":1,"maxLength":4000,"description":"The fact or note to remember, self-contained."}},"required":["text"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => ToolName;

    /// <inheritdoc />
    public string Description => "Saves a note to long-term memory so later conversations can recall it.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Check(arguments, out var text) ?? new ToolResult($"Saved to memory: {text}"));

    /// <summary>The note in <paramref name="arguments"/>, or an error result naming what is wrong.</summary>
    public static ToolResult? Check(JsonElement arguments, out string text)
    {
        text = ToolSchemas.RequiredText(arguments, "text", MaxText, out var error);
        return error;
    }
}
