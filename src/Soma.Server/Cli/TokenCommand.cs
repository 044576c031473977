using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Soma.Gateway.Auth;
using Soma.Gateway.Auth.Keys;
using Soma.Server.Hosting;

namespace Soma.Server.Cli;

/// <summary><c>soma token issue</c>: prints a bearer token signed with the key ring's current signer (see <c>soma keys</c>).</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant the token acts in.", Required = true };
        var subject = new Option<string>("--sub") { Description = "The subject (user or service) the token is for.", Required = true };
        var roles = new Option<string?>("--roles") { Description = "Roles, comma-separated.", HelpName = "r1,r2" };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime: 90s, 30m, 1h, 7d (default 1h; at most Soma:Auth:MaxTokenLifetime, 30d by default).", DefaultValueFactory = _ => "1h" };
        var data = new Option<string?>("--data") { Description = "Data directory holding the key (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var json = new Option<bool>("--json") { Description = "Print JSON with the token and its claims." };
        var issue = new Command("issue", "Issue a bearer token.") { tenant, subject, roles, ttl, data, json };
        issue.SetAction(parse => Issue(
            parse.GetValue(tenant)!, parse.GetValue(subject)!, parse.GetValue(roles), parse.GetValue(ttl)!, parse.GetValue(data), parse.GetValue(json)));
        return new Command("token", "Bearer tokens for the API.") { issue };
    }

    private static int Issue(string tenant, string subject, string? roles, string ttl, string? dataDir, bool json)
    {
        if (!TryParseDuration(ttl, out var lifetime) || lifetime <= TimeSpan.Zero || lifetime > TokenIssuer.MaxLifetime)
        {
            Console.Error.WriteLine($"soma: --ttl '{ttl}' is not a lifetime between 1s and 365d (examples: 90s, 30m, 1h, 7d).");
            return ExitCodes.BadInput;
        }

        var configuration = SomaConfiguration.Build(new ServeSettings(DataDir: dataDir).ToOverrides());
        var auth = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.Mode != AuthMode.Hs256)
        {
            Console.Error.WriteLine("soma: Soma:Auth:Mode is Rs256: tokens come from your identity provider; 'soma token issue' signs only with Soma's own keys.");
            return ExitCodes.BadInput;
        }

        if (lifetime > auth.MaxTokenLifetime)
        {
            Console.Error.WriteLine($"soma: --ttl '{ttl}' is longer than Soma:Auth:MaxTokenLifetime ({auth.MaxTokenLifetime}); a rotated-out key is retired after that long.");
            return ExitCodes.BadInput;
        }

        var keyPath = SomaConfiguration.ResolveHs256KeyPath(configuration);
        var roleList = (roles ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string token;
        try
        {
            token = KeysCommand.IssuerAsync(configuration, auth).GetAwaiter().GetResult().Issue(tenant, subject, roleList, lifetime);
        }
        catch (KeySourceException ex)
        {
            Console.Error.WriteLine($"soma: cannot read the signing keys: {ex.Message}");
            return ExitCodes.BadInput;
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine($"soma: {ex.Message}");
            return ExitCodes.BadInput;
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"soma: {ex.Message.Split(" (Parameter", 2)[0]}");
            return ExitCodes.BadInput;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"soma: cannot use the key file '{keyPath}': {ex.Message}");
            return ExitCodes.BadInput;
        }

        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["token"] = token,
                ["tenant"] = tenant,
                ["sub"] = subject,
                ["roles"] = roleList,
                ["expires_at"] = TimeProvider.System.GetUtcNow().Add(lifetime).ToString("O", CultureInfo.InvariantCulture),
            }));
        }
        else
        {
            Console.Out.WriteLine(token);
        }

        return ExitCodes.Ok;
    }

    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2)
        {
            return false;
        }

        var unit = text[^1];
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 100_000_000)
        {
            return false;
        }

        duration = unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => TimeSpan.MinValue,
        };
        return duration != TimeSpan.MinValue;
    }
}
