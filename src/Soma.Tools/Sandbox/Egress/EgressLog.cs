using Microsoft.Extensions.Logging;

namespace Soma.Tools.Sandbox.Egress;

/// <summary>
/// The sandbox egress proxy's log events (4230–4239). Destinations are logged as <c>host:port</c> only: a URL's path
/// and query may carry a key.
/// </summary>
internal static partial class EgressLog
{
    [LoggerMessage(EventId = LogEvents.EgressAllowed, Level = LogLevel.Information, Message = "Sandbox egress allowed: {Method} {Destination} connected to {Address} for tenant {Tenant}, session {Session}")]
    public static partial void Allowed(ILogger logger, string method, string destination, string address, string tenant, Guid session);

    [LoggerMessage(EventId = LogEvents.EgressRefused, Level = LogLevel.Warning, Message = "Sandbox egress refused: {Method} {Destination} for tenant {Tenant}, session {Session}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string destination, string tenant, Guid session, string reason);

    [LoggerMessage(EventId = LogEvents.EgressFailed, Level = LogLevel.Warning, Message = "Sandbox egress to {Destination} failed for tenant {Tenant}, session {Session}: {Error}")]
    public static partial void Failed(ILogger logger, string destination, string tenant, Guid session, string error);

    [LoggerMessage(EventId = LogEvents.EgressInvalid, Level = LogLevel.Information, Message = "Sandbox egress proxy got a request it cannot read, tenant {Tenant}, session {Session}: {Reason}")]
    public static partial void Invalid(ILogger logger, string tenant, Guid session, string reason);
}
