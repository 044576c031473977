using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Soma.Gateway.Auth;
using Soma.Gateway.Auth.Keys;
using Soma.Server.Hosting;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma keys list|rotate|retire</c>: the signing key ring. <c>rotate</c> and <c>retire</c> change the data directory's
/// ring (<c>{DataDir}/keys.json</c>); running servers read it again within <c>Soma:Auth:Keys:PollInterval</c>, no restart.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var list = new Command("list", "Show the keys: kid, algorithm, state and dates (never key material).") { Data(), Json() };
        list.SetAction(parse => List(parse.GetValue<string?>("--data"), parse.GetValue<bool>("--json")));

        var alg = new Option<string>("--alg") { Description = "The new key's algorithm: HS256, RS256 or ES256 (default HS256).", DefaultValueFactory = _ => "HS256" };
        var grace = new Option<string>("--grace")
        {
            Description = "How long the new key is pending (verifies, does not sign) before it signs: longer than the servers' poll interval (default 10m).",
            DefaultValueFactory = _ => "10m",
        };
        var rotate = new Command("rotate", "Add a new key; it signs after the grace period, and the current signer is retired after Soma:Auth:MaxTokenLifetime more.")
        {
            alg, grace, Data(), Json(),
        };
        rotate.SetAction(parse => Rotate(parse.GetValue(alg)!, parse.GetValue(grace)!, parse.GetValue<string?>("--data"), parse.GetValue<bool>("--json")));

        var kid = new Argument<string>("kid") { Description = "The key to retire." };
        var retire = new Command("retire", "Retire a key now: tokens it signed get 401 token.key_retired (for a leaked key; rotate first).") { kid, Data() };
        retire.SetAction(parse => Retire(parse.GetValue(kid)!, parse.GetValue<string?>("--data")));

        return new Command("keys", "The signing keys of bearer tokens (see docs/operations/key-rotation.md).") { list, rotate, retire };
    }

    /// <summary>An issuer signing with the configured ring's current signer.</summary>
    /// <exception cref="KeySourceException">The ring cannot be read.</exception>
    /// <exception cref="InvalidOperationException">No key can sign now.</exception>
    public static async Task<TokenIssuer> IssuerAsync(IConfiguration configuration, AuthOptions auth)
    {
        var source = Source(configuration);
        try
        {
            var ring = await source.LoadAsync();
            return TokenIssuer.FromRing(ring, auth.Issuer, auth.Audience, TimeProvider.System);
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }

    private static Option<string?> Data() => new("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };

    private static Option<bool> Json() => new("--json") { Description = "Print JSON." };

    private static IKeySource Source(IConfiguration configuration) =>
        KeySources.Create(SomaConfiguration.KeyRing(configuration), SomaConfiguration.ResolveHs256KeyPath(configuration), TimeProvider.System);

    private static int List(string? dataDir, bool json)
    {
        var configuration = SomaConfiguration.Build(new ServeSettings(DataDir: dataDir).ToOverrides());
        var source = Source(configuration);
        KeyRing ring;
        try
        {
            ring = source.LoadAsync().GetAwaiter().GetResult();
        }
        catch (KeySourceException ex)
        {
            Console.Error.WriteLine($"soma: cannot read the signing keys ({source.Name}): {ex.Message}");
            return ExitCodes.BadInput;
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }

        var now = TimeProvider.System.GetUtcNow();
        var rows = ring.Keys.Select(k => new Dictionary<string, object?>
        {
            ["kid"] = k.Kid,
            ["alg"] = k.Algorithm,
            ["state"] = KeyRingProvider.Wire(ring.StateOf(k, now)),
            ["legacy"] = k.Document.Legacy,
            ["created"] = k.Document.Created,
            ["activate_at"] = k.Document.ActivateAt,
            ["retire_at"] = k.Document.RetireAt,
        }).ToList();
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?> { ["source"] = source.Name, ["version"] = ring.Version, ["keys"] = rows }));
            return ExitCodes.Ok;
        }

        Console.Out.WriteLine($"{"KID",-36} {"ALG",-6} {"STATE",-9} {"CREATED",-20} {"SIGNS FROM",-20} RETIRED AT");
        foreach (var k in ring.Keys)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{k.Kid + (k.Document.Legacy ? " (legacy)" : ""),-36} {k.Algorithm,-6} {KeyRingProvider.Wire(ring.StateOf(k, now)),-9} {Time(k.Document.Created),-20} {Time(k.Document.ActivateAt),-20} {Time(k.Document.RetireAt)}"));
        }

        return ExitCodes.Ok;
    }

    private static int Rotate(string alg, string grace, string? dataDir, bool json)
    {
        var algorithm = alg.ToUpperInvariant();
        if (algorithm is not (SecurityAlgorithms.HmacSha256 or SecurityAlgorithms.RsaSha256 or SecurityAlgorithms.EcdsaSha256))
        {
            Console.Error.WriteLine($"soma: --alg '{alg}' is not HS256, RS256 or ES256.");
            return ExitCodes.BadInput;
        }

        if (!TokenCommand.TryParseDuration(grace, out var gracePeriod) || gracePeriod < TimeSpan.Zero || gracePeriod > TimeSpan.FromDays(30))
        {
            Console.Error.WriteLine($"soma: --grace '{grace}' is not a duration between 0s and 30d (examples: 30s, 10m, 1h).");
            return ExitCodes.BadInput;
        }

        var configuration = SomaConfiguration.Build(new ServeSettings(DataDir: dataDir).ToOverrides());
        var auth = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (Local(configuration) is not { } store)
        {
            return ExitCodes.BadInput;
        }

        try
        {
            var added = store.Rotate(algorithm, gracePeriod, auth.MaxTokenLifetime + TimeSpan.FromSeconds(auth.ClockSkewSeconds));
            var retireAt = added.ActivateAt!.Value + auth.MaxTokenLifetime + TimeSpan.FromSeconds(auth.ClockSkewSeconds);
            if (json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["kid"] = added.Kid,
                    ["alg"] = added.Alg,
                    ["activate_at"] = added.ActivateAt,
                    ["previous_retire_at"] = retireAt,
                }));
            }
            else
            {
                Console.Out.WriteLine($"added {added.Kid} ({added.Alg}): pending, signs from {Time(added.ActivateAt)}; the current signer is retired at {Time(retireAt)}");
            }

            return ExitCodes.Ok;
        }
        catch (KeySourceException ex)
        {
            Console.Error.WriteLine($"soma: {ex.Message}");
            return ExitCodes.BadInput;
        }
    }

    private static int Retire(string kid, string? dataDir)
    {
        var configuration = SomaConfiguration.Build(new ServeSettings(DataDir: dataDir).ToOverrides());
        if (Local(configuration) is not { } store)
        {
            return ExitCodes.BadInput;
        }

        try
        {
            store.Retire(kid);
            Console.Out.WriteLine($"retired {kid}: tokens it signed are refused with token.key_retired");
            return ExitCodes.Ok;
        }
        catch (KeySourceException ex)
        {
            Console.Error.WriteLine($"soma: {ex.Message}");
            return ExitCodes.BadInput;
        }
    }

    private static DataDirKeyStore? Local(IConfiguration configuration)
    {
        var keys = SomaConfiguration.KeyRing(configuration);
        if (keys.Source == KeySourceKind.DataDir)
        {
            return (DataDirKeyStore)Source(configuration);
        }

        Console.Error.WriteLine(keys.Source switch
        {
            KeySourceKind.KeyFile => "soma: Soma:Auth:Hs256KeyPath names one shared key file (Soma:Auth:Keys:Source KeyFile), which does not rotate; use Soma:Auth:Keys:Source Directory or Vault (docs/operations/key-rotation.md).",
            var other => $"soma: the keys come from {other} (Soma:Auth:Keys:Source): rotate them there (docs/operations/key-rotation.md); 'soma keys rotate' changes only the data directory's ring.",
        });
        return null;
    }

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
}
