using System.CommandLine;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Soma.Core.Storage;
using Soma.Core.Tenancy;
using Soma.Server.Hosting;

namespace Soma.Server.Cli;

/// <summary><c>soma serve</c>: runs the platform until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var urls = new Option<string?>("--urls") { Description = "Listen URLs, ';'-separated (default http://127.0.0.1:8010; key Urls).", HelpName = "urls" };
        var roles = new Option<string?>("--roles") { Description = $"Roles to run, comma-separated: {SomaRoles.All} (default gateway,worker,relay,sync; key Soma:Roles).", HelpName = "roles" };
        var demo = new Option<bool>("--demo") { Description = $"Also run a scripted demo model (not an AI) in this process and use it as the model '{DemoMode.ModelId}'." };
        var command = new Command("serve", "Run the platform: HTTP API and every configured role.") { data, urls, roles, demo };
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = new ServeSettings(parse.GetValue(data), parse.GetValue(urls), parse.GetValue(roles));
            return parse.GetValue(demo) ? DemoMode.RunAsync(settings, RunAsync, cancellationToken) : RunAsync(settings, cancellationToken);
        });
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
            return ConfigurationError(ex.Failures);
        }

        await using (app)
        {
            StartTokens tokens;
            try
            {
                tokens = await SomaApp.PrepareAsync(app, cancellationToken);
            }
            catch (Exception ex) when (ConfigurationFailures(ex) is { } failures)
            {
                return ConfigurationError(failures);
            }
            catch (StoreException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the store is not usable: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (Gateway.Auth.Keys.KeySourceException ex)
            {
                await Console.Error.WriteLineAsync($"soma: the signing keys cannot be read (Soma:Auth:Keys): {ex.Message}");
                return ExitCodes.Failed;
            }

            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync($"soma: cannot listen: {ex.Message}");
                return ExitCodes.Failed;
            }

            PrintBanner(app, tokens);
            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        }
    }

    private static void PrintBanner(WebApplication app, StartTokens tokens)
    {
        var adminToken = tokens.Admin;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var url = addresses.FirstOrDefault() ?? "(no address)";
        var engine = app.Services.GetRequiredService<IStore>().Engine;

        // The banner goes to stdout, not the log: tokens never enter a log sink.
        Console.Out.WriteLine($"SomaAgent is listening on {url}");
        Console.Out.WriteLine($"  store: {engine}; data: {SomaConfiguration.ResolveDataDir(app.Configuration)}");
        if (tokens.SignIn is not null)
        {
            Console.Out.WriteLine($"  open the web UI (sign-in link valid {SomaApp.SignInTokenLifetime.TotalHours:0} h): {url}/#token={tokens.SignIn}");
        }

        if (DemoMode.BannerLine(app.Configuration) is { } demoModel)
        {
            Console.Out.WriteLine(demoModel);
        }
        else if (!app.Services.GetRequiredService<Soma.Agents.Models.ModelRouter>().IsConfigured)
        {
            Console.Out.WriteLine("  no model is configured: `soma serve --demo` adds a scripted demo model; for a real one set Soma:Models:Endpoints (docs/getting-started.md)");
        }

        if (adminToken is not null)
        {
            Console.Out.WriteLine($"  first start: an admin token for tenant '{TenantId.Default}' (valid {SomaApp.AdminTokenLifetime.TotalDays:0} days):");
            Console.Out.WriteLine($"  {adminToken}");
            Console.Out.WriteLine($"  try: curl -H \"Authorization: Bearer <token>\" {url}/v1/health");
        }
        else
        {
            Console.Out.WriteLine($"  issue a token: soma token issue --tenant {TenantId.Default} --sub you --roles admin");
        }

        Console.Out.Flush();
    }

    public static IEnumerable<string>? ConfigurationFailures(Exception ex) => ex switch
    {
        OptionsValidationException validation => validation.Failures,
        AggregateException aggregate when aggregate.InnerExceptions.All(e => ConfigurationFailures(e) is not null) =>
            aggregate.InnerExceptions.SelectMany(e => ConfigurationFailures(e)!),
        // The binder's own message names the key: "Failed to convert configuration value at 'Soma:…' to type …".
        InvalidOperationException { Message: var m } when m.Contains("configuration value", StringComparison.Ordinal) => [m],
        _ => null,
    };

    public static int ConfigurationError(IEnumerable<string> failures)
    {
        Console.Error.WriteLine("soma: the configuration is not valid:");
        foreach (var failure in failures)
        {
            Console.Error.WriteLine($"  - {failure}");
        }

        return ExitCodes.BadInput;
    }
}
