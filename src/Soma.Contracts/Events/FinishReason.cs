namespace Soma.Contracts.Events;

/// <summary>Why an answer ended.</summary>
public enum FinishReason
{
    /// <summary>The model finished.</summary>
    Stop,

    /// <summary>The token limit was reached.</summary>
    Length,

    /// <summary>The model asked for tools.</summary>
    ToolCalls,

    /// <summary>A content filter stopped it.</summary>
    ContentFilter,

    /// <summary>The turn was cancelled.</summary>
    Cancelled,
}
