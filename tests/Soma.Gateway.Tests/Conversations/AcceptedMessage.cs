namespace Soma.Gateway.Tests.Conversations;

/// <summary>The 202 answer of <c>POST /v1/sessions/{id}/messages</c>.</summary>
internal sealed record AcceptedMessage(Guid MessageId, Guid RunId, Guid ReplyId);
