namespace Soma.Contracts.Events;

/// <summary><c>conversation.v1</c> <c>conversation.assistant_delta</c>: A piece of the assistant's answer.</summary>
/// <param name="MessageId">The answer's message id.</param>
/// <param name="Delta">The new text.</param>
/// <param name="Index">Delta number, from 0.</param>
public sealed record AssistantDelta(Guid MessageId, string Delta, int Index) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Conversation;

    /// <inheritdoc />
    public static string EventType => "conversation.assistant_delta";
}
