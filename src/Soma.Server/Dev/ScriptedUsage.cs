namespace Soma.Server.Dev;

/// <summary>The token counts a scripted answer reports.</summary>
/// <param name="PromptTokens">Tokens in the request.</param>
/// <param name="CompletionTokens">Tokens in the answer.</param>
public sealed record ScriptedUsage(int PromptTokens, int CompletionTokens);
