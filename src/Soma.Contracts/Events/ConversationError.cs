namespace Soma.Contracts.Events;

/// <summary><c>conversation.v1</c> <c>conversation.error</c>: The turn failed.</summary>
/// <param name="MessageId">The message id.</param>
/// <param name="Error">What went wrong.</param>
public sealed record ConversationError(Guid MessageId, EventError Error) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Conversation;

    /// <inheritdoc />
    public static string EventType => "conversation.error";
}
