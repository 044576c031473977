using Microsoft.Extensions.Logging;

namespace Soma.Tools.Sandbox;

/// <summary>The gVisor profile's log events (4240–4249).</summary>
internal static partial class GvisorLog
{
    [LoggerMessage(EventId = LogEvents.GvisorStartRetried, Level = LogLevel.Warning, Message = "runsc could not start a sandbox and the call is tried once more: {Problem}")]
    public static partial void StartRetried(ILogger logger, string problem);
}
