using Microsoft.Extensions.Options;
using Soma.Server.Hosting;

namespace Soma.Server.Cli;

/// <summary>
/// The server's services for a CLI verb that reads the store or the bus directly: built from the same configuration as
/// <c>soma serve</c> (as the gateway role), with standard output left to the verb's results and logs on standard
/// error, warnings only.
/// </summary>
internal static class CliHost
{
    /// <summary>Builds the host, or prints the configuration errors and returns null with the exit code to use.</summary>
    public static WebApplication? Build(string? dataDir, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        try
        {
            return SomaApp.Build(new ServeSettings(dataDir, Roles: "gateway")
            {
                Extra = new Dictionary<string, string?>
                {
                    ["Logging:LogLevel:Default"] = "Warning",
                    ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
                },
            });
        }
        catch (OptionsValidationException ex)
        {
            exitCode = ServeCommand.ConfigurationError(ex.Failures);
            return null;
        }
    }
}
