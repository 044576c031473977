using Microsoft.Extensions.Logging;

namespace Soma.Tools.Files;

/// <summary>The <c>files.*</c> tools' log events (42xx: in-process tools; 4201–4209 files).</summary>
internal static partial class FilesLog
{
    [LoggerMessage(EventId = LogEvents.FilesPathRefused, Level = LogLevel.Warning, Message = "{Tool} refused path '{Path}' for tenant {Tenant}, session {Session}: {Problem}")]
    public static partial void PathRefused(ILogger logger, string tool, string path, string tenant, Guid session, string problem);
}
