namespace Soma.Core.Storage;

/// <summary>How a tool call ended.</summary>
public enum ToolCallOutcome
{
    /// <summary>The tool ran and returned a result.</summary>
    Succeeded,

    /// <summary>The tool ran (or was allowed to) and failed: an error, bad arguments, a timeout.</summary>
    Failed,

    /// <summary>The policy denied the call; the tool never ran.</summary>
    Denied,
}
