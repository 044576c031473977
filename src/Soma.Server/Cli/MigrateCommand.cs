using System.CommandLine;
using Microsoft.Extensions.Options;
using Soma.Core.Messaging;
using Soma.Core.Storage;
using Soma.Server.Hosting;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma migrate</c>: what a deployment's pre-install job runs — validate the configuration, apply the store's
/// migrations, create or update the bus's stream, then exit. Safe to run again and from several jobs at once.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var command = new Command("migrate", "Apply the store's migrations and create or update the event stream, then exit.") { data };
        command.SetAction((parse, cancellationToken) => RunAsync(
            new ServeSettings(parse.GetValue(data)) { Extra = new Dictionary<string, string?> { ["Logging:Console:LogToStandardErrorThreshold"] = "Trace" } },
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = SomaApp.Build(settings);
        }
        catch (OptionsValidationException ex)
        {
            return ServeCommand.ConfigurationError(ex.Failures);
        }

        await using (app)
        {
            try
            {
                app.Services.GetRequiredService<IStartupValidator>().Validate();
            }
            catch (Exception ex) when (ServeCommand.ConfigurationFailures(ex) is { } failures)
            {
                return ServeCommand.ConfigurationError(failures);
            }

            var store = app.Services.GetRequiredService<IStore>();
            var bus = app.Services.GetRequiredService<IEventBus>();
            try
            {
                SomaApp.EnsureDataDir(app.Configuration);
                await Console.Error.WriteLineAsync($"soma: migrating the {store.Engine} store…");
                await store.MigrateAsync(cancellationToken);
                await Console.Error.WriteLineAsync($"soma: preparing the {bus.Name} event bus…");
                await bus.PrepareAsync(cancellationToken);
            }
            catch (StoreException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the store is not usable: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (EventBusException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the event bus is not usable: {ex.Message}");
                return ExitCodes.Failed;
            }

            await Console.Out.WriteLineAsync($"migrated: store {store.Engine}, bus {bus.Name}");
            return ExitCodes.Ok;
        }
    }
}
