namespace Soma.Contracts.Events;

/// <summary><c>conversation.v1</c> <c>conversation.assistant_final</c>: The assistant's complete answer.</summary>
/// <param name="MessageId">The answer's message id.</param>
/// <param name="Content">The whole answer.</param>
/// <param name="FinishReason">Why it ended.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Usage">Token usage.</param>
public sealed record AssistantFinal(Guid MessageId, string Content, FinishReason FinishReason, string? Model = null, TokenUsage? Usage = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Conversation;

    /// <inheritdoc />
    public static string EventType => "conversation.assistant_final";
}
