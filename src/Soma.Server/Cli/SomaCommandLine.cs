using System.CommandLine;

namespace Soma.Server.Cli;

/// <summary>The <c>soma</c> command tree.</summary>
internal static class SomaCommandLine
{
    public static RootCommand Create() => new("SomaAgent: durable, governed AI agents for many tenants.")
    {
        ServeCommand.Create(),
        TokenCommand.Create(),
        SchemaCommand.Create(),
    };

    public static Task<int> InvokeAsync(string[] args) =>
        Create().Parse(args).InvokeAsync(new InvocationConfiguration
        {
            // The host handles Ctrl-C and SIGTERM itself and stops gracefully.
            ProcessTerminationTimeout = null,
        });
}
