using Microsoft.Extensions.Logging;

namespace Soma.Tools.Http;

/// <summary><c>http.fetch</c>'s log events (42xx: in-process tools; 4210–4219 http). URLs are logged without their query.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = LogEvents.HttpRequest, Level = LogLevel.Information, Message = "http.fetch {Method} {Destination} for tenant {Tenant}, session {Session}")]
    public static partial void Request(ILogger logger, string method, string destination, string tenant, Guid session);

    [LoggerMessage(EventId = LogEvents.HttpRefused, Level = LogLevel.Warning, Message = "http.fetch refused {Method} {Destination} for tenant {Tenant}, session {Session}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string destination, string tenant, Guid session, string reason);
}
