using System.ComponentModel.DataAnnotations;

namespace Soma.Agents.Turns;

/// <summary><c>Soma:Agent</c>: how a chat turn runs.</summary>
public sealed class ChatTurnOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Agent";

    /// <summary>The system prompt of every turn.</summary>
    [Required]
    [MaxLength(20_000)]
    public string SystemPrompt { get; set; } = "You are a helpful assistant. Use the tools you are given when they help, and answer concisely.";

    /// <summary>How many recent messages of the session the model sees.</summary>
    [Range(1, 1000)]
    public int HistoryMessages { get; set; } = 20;

    /// <summary>Characters of history at most (the oldest messages are left out first).</summary>
    [Range(1000, 10_000_000)]
    public int HistoryCharacters { get; set; } = 48_000;

    /// <summary>Rounds of tool calls per turn; after the last one the model must answer without tools.</summary>
    [Range(0, 50)]
    public int MaxToolRounds { get; set; } = 4;

    /// <summary>Seconds one tool call may take.</summary>
    [Range(1, 3600)]
    public int ToolTimeoutSeconds { get; set; } = 30;

    /// <summary>Attempts of a model call (each may fall back across every model) before the turn fails.</summary>
    [Range(1, 20)]
    public int ModelAttempts { get; set; } = 3;
}
