using System.Text.Json;

namespace Soma.Gateway.Sessions;

/// <summary>The body of <c>POST /v1/sessions/{id}/messages</c>.</summary>
/// <param name="Content">The message text (at most Soma:Gateway:MaxMessageBytes bytes).</param>
/// <param name="Metadata">Optional JSON object, at most 16 KiB.</param>
internal sealed record PostMessageRequest(string? Content, JsonElement? Metadata = null);

/// <summary>The answer to an accepted message: the turn runs as <c>run_id</c>.</summary>
/// <param name="MessageId">The stored user message.</param>
/// <param name="RunId">The <c>chat.turn</c> run answering it.</param>
/// <param name="ReplyId">The id the assistant's answer will have.</param>
internal sealed record MessageAcceptedResponse(Guid MessageId, Guid RunId, Guid ReplyId);

/// <summary>The body of <c>GET /v1/usage</c>.</summary>
/// <param name="From">First day (UTC).</param>
/// <param name="To">Last day (UTC).</param>
/// <param name="Items">Per day and model.</param>
/// <param name="Totals">Summed over the range.</param>
internal sealed record UsageResponse(DateOnly From, DateOnly To, IReadOnlyList<UsageItem> Items, UsageTotals Totals);

/// <summary>Usage of one model on one day.</summary>
internal sealed record UsageItem(DateOnly Day, string Model, long Calls, long InputTokens, long OutputTokens);

/// <summary>Usage summed.</summary>
internal sealed record UsageTotals(long Calls, long InputTokens, long OutputTokens);
