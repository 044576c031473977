namespace Soma.Server.Dev;

/// <summary>What a <see cref="DevModelServer"/> saw of one <c>POST /v1/chat/completions</c>, accepted or not.</summary>
/// <param name="Model">The requested model id; null when the body is not a chat request.</param>
/// <param name="Stream">Whether the client asked for a stream (<c>"stream": true</c>).</param>
/// <param name="MessageCount">How many messages the conversation holds.</param>
/// <param name="LastMessageRole">The role of the last message (<c>user</c>, <c>tool</c>, …), if any.</param>
/// <param name="LastMessageText">The text content of the last message (text parts joined), if any.</param>
/// <param name="ToolNames">The names of the function tools offered.</param>
/// <param name="Body">The raw request body.</param>
/// <param name="HasAuthorization">Whether an <c>Authorization</c> header was sent (its value is never kept).</param>
public sealed record RecordedRequest(
    string? Model,
    bool Stream,
    int MessageCount,
    string? LastMessageRole,
    string? LastMessageText,
    IReadOnlyList<string> ToolNames,
    string Body,
    bool HasAuthorization);
