using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Soma.Gateway.Auth;
using Soma.Gateway.Auth.Keys;
using Soma.Testing;

namespace Soma.Gateway.Tests.Auth;

/// <summary>
/// Signing keys rotated twice under load, for each source: 32 clients keep sending requests with fresh tokens from the
/// current signer, and not one is refused; afterwards a token signed by a retired key gets 401 <c>token.key_retired</c>.
/// </summary>
public sealed class KeyRotationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Soma:Auth:Keys:PollInterval"] = "00:00:00.2",
        ["Soma:Auth:Keys:Vault:PollInterval"] = "00:00:00.2",
        ["Soma:Auth:Keys:Vault:Timeout"] = "00:00:01",
        ["Soma:Auth:MaxTokenLifetime"] = "00:00:12",
        ["Soma:Auth:ClockSkewSeconds"] = "0",
        ["Soma:Gateway:RequestsPerSecond"] = "1000000",
        ["Soma:Gateway:RequestBurst"] = "1000000",
    };

    [Fact]
    public async Task Data_dir_keys_rotated_twice_with_soma_keys_rotate_refuse_no_request_and_the_retired_key_gets_key_retired()
    {
        await using var server = await RunningServer.StartAsync(Fast);
        var store = new DataDirKeyStore(Path.Combine(server.DataDir, "keys.json"), Path.Combine(server.DataDir, "jwt-hs256.key"), TimeProvider.System);
        var legacy = Assert.Single(store.Load().Keys);
        Assert.True(legacy.Document.Legacy, "the key of jwt-hs256.key is the ring's legacy key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.RingPath));
        using var issuer = new CachedIssuer(() => Task.FromResult(store.Load()));
        var environment = new Dictionary<string, string> { ["SOMA__AUTH__MAXTOKENLIFETIME"] = "00:00:12", ["SOMA__AUTH__CLOCKSKEWSECONDS"] = "0" };

        string second;
        string third;
        long answeredBefore;
        await using (var traffic = new RotationTraffic(server.BaseAddress, issuer.Current))
        {
            traffic.Start();
            await traffic.WaitUntilEveryClientUsesAsync(legacy.Kid);
            second = await RotateAsync("RS256");
            await traffic.WaitUntilEveryClientUsesAsync(second);
            answeredBefore = traffic.Answered;
            third = await RotateAsync("ES256");
            await traffic.WaitUntilEveryClientUsesAsync(third);
            Assert.True(traffic.Answered > answeredBefore, "requests kept flowing during the second rotation");
            Assert.Empty(traffic.Unauthorized);
            Assert.Empty(traffic.OtherFailures);
        }

        // The first signer is retired once every token it could have signed has expired (activation + MaxTokenLifetime).
        await ServerSeesAsync(server, issuer.Token, legacy.Kid, "retired");
        var ring = store.Load();
        Assert.Equal(third, ring.SignerAt(DateTimeOffset.UtcNow)!.Kid);
        await AssertKeyRetiredAsync(server, SignWith(ring, legacy.Kid));
        await AssertKeyRetiredAsync(server, server.IssueToken("default")); // a token without kid names the legacy key

        var (code, listed, error) = await SomaProcess.RunAsync(["keys", "list", "--data", server.DataDir], environment);
        Assert.True(code == 0, error);
        Assert.Contains(legacy.Kid + " (legacy)", listed, StringComparison.Ordinal);
        Assert.Matches($@"{third}\s+ES256\s+active", listed);
        Assert.Matches($@"{second}\s+RS256\s+previous", listed);
        Assert.DoesNotContain("PRIVATE", listed, StringComparison.Ordinal);

        async Task<string> RotateAsync(string alg)
        {
            var (exit, stdout, stderr) = await SomaProcess.RunAsync(["keys", "rotate", "--alg", alg, "--grace", "3s", "--json", "--data", server.DataDir], environment);
            Assert.True(exit == 0, stderr);
            return JsonDocument.Parse(stdout).RootElement.GetProperty("kid").GetString()!;
        }
    }

    [Fact]
    public async Task Directory_keys_rotated_twice_by_kubernetes_secret_swaps_refuse_no_request_and_the_retired_key_gets_key_retired()
    {
        using var work = new TempDirectory("soma-keys-dir");
        var mount = new SecretMount(Path.Combine(work.Path, "keys"));
        var settings = new Dictionary<string, string?>(Fast) { ["Soma:Auth:Keys:Source"] = "Directory", ["Soma:Auth:Keys:Directory"] = mount.Root };
        var source = new DirectoryKeySource(mount.Root);
        await RotateTwiceAsync(settings, keys => mount.Publish(keys), () => source.LoadAsync());
    }

    [Fact]
    public async Task Vault_keys_rotated_twice_by_new_secret_versions_refuse_no_request_and_the_retired_key_gets_key_retired()
    {
        await using var vault = await VaultStandIn.StartAsync();
        var settings = new Dictionary<string, string?>(Fast)
        {
            ["Soma:Auth:Keys:Source"] = "Vault",
            ["Soma:Auth:Keys:Vault:Address"] = vault.Address.ToString(),
            ["Soma:Auth:Keys:Vault:Path"] = "soma/signing-keys",
            ["Soma:Auth:Keys:Vault:Token"] = VaultStandIn.RootToken,
        };
        using var source = new VaultKeySource(new VaultKeyOptions { Address = vault.Address, Path = "soma/signing-keys", Token = VaultStandIn.RootToken });
        await RotateTwiceAsync(settings, keys => vault.Publish([.. keys]), () => source.LoadAsync());
        Assert.True(vault.Version >= 5, "every step was a new version of the secret");
    }

    [Fact]
    public async Task Jwks_publishes_the_public_halves_of_rs256_and_es256_keys_and_never_an_hs256_secret()
    {
        using var work = new TempDirectory("soma-jwks");
        var mount = new SecretMount(Path.Combine(work.Path, "keys"));
        var now = DateTimeOffset.UtcNow;
        var rsa = RingKey.Generate("RS256", now) with { State = "active" };
        var ec = RingKey.Generate("ES256", now) with { State = "pending" };
        var hs = RingKey.Generate("HS256", now) with { State = "active", ActivateAt = now };
        var gone = RingKey.Generate("ES256", now) with { State = "retired" };
        mount.Publish([rsa, ec, hs, gone]);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>(Fast) { ["Soma:Auth:Keys:Source"] = "Directory", ["Soma:Auth:Keys:Directory"] = mount.Root });
        using var anonymous = server.Anonymous();

        var response = await anonymous.GetAsync("/.well-known/jwks.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var keys = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("kid").GetString()!);
        Assert.Equal([ec.Kid!, rsa.Kid!], keys.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("RSA", keys[rsa.Kid!].GetProperty("kty").GetString());
        Assert.Equal("RS256", keys[rsa.Kid!].GetProperty("alg").GetString());
        Assert.Equal("P-256", keys[ec.Kid!].GetProperty("crv").GetString());
        Assert.DoesNotContain("\"d\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(hs.Secret!, text, StringComparison.Ordinal);

        // A service that verifies our tokens with the JWKS accepts an RS256 token the ring signed.
        var token = SignWith(new KeyRing([RingKey.Parse(rsa, "rsa")], "x"), rsa.Kid!);
        var set = new JsonWebKeySet(text);
        var result = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = set.GetSigningKeys(),
            ValidIssuer = "soma",
            ValidAudience = "soma",
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task A_mounted_secret_holding_the_old_hs256_key_file_keeps_tokens_without_kid_valid_and_takes_new_keys_beside_it()
    {
        using var work = new TempDirectory("soma-keys-legacy-mount");
        var mount = new SecretMount(Path.Combine(work.Path, "keys"));
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        mount.Publish(new Dictionary<string, string> { ["jwt-hs256.key"] = Convert.ToBase64String(secret) + "\n" });
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>(Fast) { ["Soma:Auth:Keys:Source"] = "Directory", ["Soma:Auth:Keys:Directory"] = mount.Root });
        var oldToken = new TokenIssuer(secret, "soma", "soma", TimeProvider.System).Issue("default", "before", ["admin"], TimeSpan.FromMinutes(5));
        using var old = server.Anonymous();
        old.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", oldToken);
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/v1/sessions")).StatusCode);

        var next = RingKey.Generate("ES256", DateTimeOffset.UtcNow) with { State = "active", ActivateAt = DateTimeOffset.UtcNow };
        mount.Publish(new Dictionary<string, string>
        {
            ["jwt-hs256.key"] = Convert.ToBase64String(secret),
            [next.Kid + ".json"] = JsonSerializer.Serialize(next, KeyJsonContext.Default.KeyDocument),
        });
        await ServerSeesAsync(server, () => oldToken, next.Kid!, "active");
        using var fresh = server.Anonymous();
        fresh.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SignWith(new KeyRing([RingKey.Parse(next, "next")], "x"), next.Kid!));
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/v1/sessions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/v1/sessions")).StatusCode); // the legacy key now verifies only

        // The old key file removed from the Secret: its tokens are no longer accepted.
        mount.Publish([next]);
        await EventuallyUnauthorizedAsync(old);
    }

    private static async Task EventuallyUnauthorizedAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + Patience;
        while ((await client.GetAsync("/v1/sessions")).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(DateTime.UtcNow < deadline, "the removed key kept verifying");
            await Task.Delay(100);
        }
    }

    private static async Task RotateTwiceAsync(Dictionary<string, string?> settings, Action<KeyDocument[]> publish, Func<Task<KeyRing>> load)
    {
        var first = RingKey.Generate("ES256", DateTimeOffset.UtcNow) with { State = "active" };
        publish([first]);
        await using var server = await RunningServer.StartAsync(settings);
        using var issuer = new CachedIssuer(load);
        var second = RingKey.Generate("RS256", DateTimeOffset.UtcNow) with { State = "pending" };
        var third = RingKey.Generate("HS256", DateTimeOffset.UtcNow) with { State = "pending" };
        await using (var traffic = new RotationTraffic(server.BaseAddress, issuer.Current))
        {
            traffic.Start();
            await traffic.WaitUntilEveryClientUsesAsync(first.Kid!);

            // 1: the new key appears as pending; every process learns it before any token is signed by it.
            publish([first, second]);
            await ServerSeesAsync(server, issuer.Token, second.Kid!, "pending");
            second = second with { State = "active", ActivateAt = DateTimeOffset.UtcNow };
            publish([first, second]);
            await ServerSeesAsync(server, issuer.Token, second.Kid!, "active");
            await traffic.WaitUntilEveryClientUsesAsync(second.Kid!);

            // 2: the first key retired (no client holds its tokens any more) while the third is added, then signs.
            var answered = traffic.Answered;
            first = first with { State = "retired" };
            publish([first, second, third]);
            await ServerSeesAsync(server, issuer.Token, third.Kid!, "pending");
            await ServerSeesAsync(server, issuer.Token, first.Kid!, "retired");
            third = third with { State = "active", ActivateAt = DateTimeOffset.UtcNow };
            publish([first, second, third]);
            await traffic.WaitUntilEveryClientUsesAsync(third.Kid!);
            Assert.True(traffic.Answered > answered, "requests kept flowing during the second rotation");
            Assert.Empty(traffic.Unauthorized);
            Assert.Empty(traffic.OtherFailures);
        }

        var ring = new KeyRing([RingKey.Parse(first, "first"), RingKey.Parse(second, "second")], "test");
        await AssertKeyRetiredAsync(server, SignWith(ring, first.Kid!));
        using var fresh = new HttpClient { BaseAddress = server.BaseAddress };
        fresh.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SignWith(ring, second.Kid!));
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/v1/sessions")).StatusCode); // the previous signer still verifies
    }

    internal static string SignWith(KeyRing ring, string kid)
    {
        var key = ring.Keys.Single(k => k.Kid == kid);
        return new TokenIssuer(new SigningCredentials(key.Signer, key.Algorithm), "soma", "soma", TimeProvider.System)
            .Issue("default", "holder-of-an-old-key", ["admin"], TimeSpan.FromMinutes(5));
    }

    internal static async Task AssertKeyRetiredAsync(RunningServer server, string token)
    {
        using var http = server.Anonymous();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.GetAsync("/v1/sessions");
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "token-key-retired");
        Assert.Equal("token.key_retired", problem.GetProperty("code").GetString());
        Assert.Equal("Bearer error=\"invalid_token\", error_description=\"token.key_retired\"", response.Headers.WwwAuthenticate.ToString());
    }

    internal static async Task<JsonElement> SigningKeysHealthAsync(RunningServer server, string token)
    {
        using var http = server.Anonymous();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var health = await http.GetFromJsonAsync<JsonElement>("/v1/health");
        return health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "signing_keys");
    }

    private static async Task ServerSeesAsync(RunningServer server, Func<string> token, string kid, string state)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var component = await SigningKeysHealthAsync(server, token());
            var keys = component.GetProperty("details").GetProperty("keys").EnumerateArray();
            if (keys.Any(k => k.GetProperty("kid").GetString() == kid && k.GetProperty("state").GetString() == state))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the server did not see {kid} {state}: {component}");
            await Task.Delay(100);
        }
    }

    /// <summary>The test's token issuer: the current signer of the source, read again every 100 ms (like an IdP's cache).</summary>
    private sealed class CachedIssuer : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _refresh;
        private volatile TokenIssuer? _current;

        public CachedIssuer(Func<Task<KeyRing>> load)
        {
            _current = TokenIssuer.FromRing(load().GetAwaiter().GetResult(), "soma", "soma", TimeProvider.System);
            _refresh = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(100, _stop.Token);
                        _current = TokenIssuer.FromRing(await load(), "soma", "soma", TimeProvider.System);
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (KeySourceException)
                    {
                        // A swap in progress: the next read sees the new set.
                    }
                }
            });
        }

        public TokenIssuer Current() => _current!;

        public string Token() => Current().Issue("default", "ops", ["admin"], TimeSpan.FromSeconds(10));

        public void Dispose()
        {
            _stop.Cancel();
            _refresh.GetAwaiter().GetResult();
            _stop.Dispose();
        }
    }
}

/// <summary>
/// A folder laid out like a Kubernetes Secret volume: the files live in a timestamped folder, <c>..data</c> is a symlink to
/// it swapped by an atomic rename on every update, and each visible name is a symlink into <c>..data</c>.
/// </summary>
internal sealed class SecretMount
{
    private int _generation;

    public SecretMount(string root)
    {
        Root = root;
        Directory.CreateDirectory(root);
    }

    public string Root { get; }

    public void Publish(KeyDocument[] keys) =>
        Publish(keys.ToDictionary(k => k.Kid + ".json", k => JsonSerializer.Serialize(k, KeyJsonContext.Default.KeyDocument)));

    /// <summary>Publishes files by name, as a Secret's keys.</summary>
    public void Publish(Dictionary<string, string> files)
    {
        var previous = Directory.Exists(Path.Combine(Root, "..data")) ? new FileInfo(Path.Combine(Root, "..data")).LinkTarget : null;
        var generation = $"..2026_12_03_00_00_{Interlocked.Increment(ref _generation):00}.{Random.Shared.Next():x}";
        Directory.CreateDirectory(Path.Combine(Root, generation));
        var names = files.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(Root, generation, name), content);
        }

        var temp = Path.Combine(Root, "..data_tmp");
        File.CreateSymbolicLink(temp, generation);
        // mv -T renames the link over the old one (rename(2)), as the kubelet swaps ..data: readers see the old set or the new.
        using (var mv = System.Diagnostics.Process.Start("mv", ["-T", temp, Path.Combine(Root, "..data")]))
        {
            mv.WaitForExit();
            Assert.Equal(0, mv.ExitCode);
        }

        foreach (var name in names.Where(n => !File.Exists(Path.Combine(Root, n))))
        {
            File.CreateSymbolicLink(Path.Combine(Root, name), Path.Combine("..data", name));
        }

        foreach (var stale in Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && !names.Contains(n)))
        {
            File.Delete(Path.Combine(Root, stale!));
        }

        if (previous is not null)
        {
            Directory.Delete(Path.Combine(Root, previous), recursive: true);
        }
    }
}
