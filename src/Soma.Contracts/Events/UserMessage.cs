namespace Soma.Contracts.Events;

/// <summary><c>conversation.v1</c> <c>conversation.user_message</c>: A user message was accepted.</summary>
/// <param name="MessageId">The message id.</param>
/// <param name="Content">The message text.</param>
public sealed record UserMessage(Guid MessageId, string Content) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Conversation;

    /// <inheritdoc />
    public static string EventType => "conversation.user_message";
}
