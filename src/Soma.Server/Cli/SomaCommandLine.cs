using System.CommandLine;

namespace Soma.Server.Cli;

/// <summary>The <c>soma</c> command tree.</summary>
internal static class SomaCommandLine
{
    public static RootCommand Create() => new("SomaAgent: durable, governed AI agents for many tenants.")
    {
        ServeCommand.Create(),
        MigrateCommand.Create(),
        BackupCommand.Create(),
        RestoreCommand.Create(),
        EventsCommand.Create(),
        TokenCommand.Create(),
        KeysCommand.Create(),
        SchemaCommand.Create(),
        RunsCommand.Create(),
        MemoryCommand.Create(),
        PolicyCommand.Create(),
        ToolsCommand.Create(),
        DoctorCommand.Create(),
        DevCommand.Create(),
    };

    public static Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad usage is bad input: exit 2, like every other refusal of input, with the errors named.
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"soma: {error.Message}");
            }

            Console.Error.WriteLine("soma: see 'soma --help'.");
            return Task.FromResult(ExitCodes.BadInput);
        }

        return parse.InvokeAsync(new InvocationConfiguration
        {
            // The host handles Ctrl-C and SIGTERM itself and stops gracefully.
            ProcessTerminationTimeout = null,
        });
    }
}
