using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests;

/// <summary>Calls a tool the way the conversation loop does: arguments as the JSON text the model wrote.</summary>
internal static class ToolCalls
{
    public static readonly DateTimeOffset Now = new(2026, 7, 14, 10, 30, 0, TimeSpan.Zero);

    public static ToolContext Context(string tenantId = "t-tools", Guid? sessionId = null, DateTimeOffset? now = null) =>
        new(tenantId, sessionId ?? Guid.CreateVersion7(), Guid.CreateVersion7(), now ?? Now);

    public static async Task<ToolResult> InvokeAsync(ITool tool, string argumentsJson, ToolContext? context = null)
    {
        using var document = JsonDocument.Parse(argumentsJson);
        return await tool.InvokeAsync(document.RootElement, context ?? Context(), CancellationToken.None);
    }
}
