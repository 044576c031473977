namespace Soma.Contracts.Events;

/// <summary><c>agent.audit.v1</c> <c>audit.action</c>: An audited action that needs no policy decision.</summary>
/// <param name="Actor">Who acted.</param>
/// <param name="Action">What was attempted.</param>
/// <param name="Resource">What it was attempted on.</param>
/// <param name="Decision">The outcome.</param>
/// <param name="Reason">Why.</param>
/// <param name="Details">Extra context (a JSON object).</param>
public sealed record AuditActionTaken(string Actor, string Action, string Resource, AuditDecision Decision, string? Reason = null, System.Text.Json.JsonElement? Details = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Audit;

    /// <inheritdoc />
    public static string EventType => "audit.action";
}
