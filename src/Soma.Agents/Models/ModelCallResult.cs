namespace Soma.Agents.Models;

/// <summary>What one model call produced.</summary>
/// <param name="Model">The configured endpoint name that answered.</param>
/// <param name="Text">The answer text.</param>
/// <param name="ToolCalls">Tool calls the model asked for (registered tool names, JSON arguments).</param>
/// <param name="FinishReason"><c>stop</c>, <c>length</c>, <c>tool_calls</c> or <c>content_filter</c>.</param>
/// <param name="InputTokens">Prompt tokens, as the server reported them.</param>
/// <param name="OutputTokens">Completion tokens, as the server reported them.</param>
/// <param name="FellBackFrom">Endpoints tried before this one, with why they were passed over.</param>
public sealed record ModelCallResult(
    string Model,
    string Text,
    IReadOnlyList<ModelToolCall> ToolCalls,
    string FinishReason,
    long InputTokens,
    long OutputTokens,
    IReadOnlyList<string> FellBackFrom);

/// <summary>A tool call the model asked for.</summary>
/// <param name="Id">The call id (from the model).</param>
/// <param name="Tool">The registered tool name.</param>
/// <param name="ArgumentsJson">The arguments as a JSON object.</param>
public sealed record ModelToolCall(string Id, string Tool, string ArgumentsJson);

/// <summary>A model call that could not produce an answer.</summary>
public sealed class ModelCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelCallException(string code, string message, bool retryable)
        : base(message)
    {
        Code = code;
        Retryable = retryable;
    }

    /// <summary>Creates the exception.</summary>
    public ModelCallException()
        : this("model.failed", "The model call failed.", true)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelCallException(string message)
        : this("model.failed", message, true)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelCallException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "model.failed";
        Retryable = true;
    }

    /// <summary>A stable code: <c>model.not_configured</c>, <c>model.unavailable</c>, <c>model.rejected</c>, <c>model.stream_broken</c>.</summary>
    public string Code { get; }

    /// <summary>Whether trying again later can help.</summary>
    public bool Retryable { get; }
}
