using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Soma.Gateway.Auth;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma keys</c> and the data directory's ring: an installation from before the ring keeps working.</summary>
public sealed class KeysCommandTests : IDisposable
{
    private readonly TempDirectory _work = new("soma-keys-cli");

    private string Data => Path.Combine(_work.Path, "data");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task An_installation_with_only_jwt_hs256_key_keeps_its_tokens_and_gets_a_ring_holding_that_key_as_legacy()
    {
        // A data directory as the server left it before the ring: one key file, and a token signed by it without kid.
        Directory.CreateDirectory(Data);
        var secret = RandomNumberGenerator.GetBytes(32);
        await File.WriteAllTextAsync(Path.Combine(Data, "jwt-hs256.key"), Convert.ToBase64String(secret));
        File.SetUnixFileMode(Path.Combine(Data, "jwt-hs256.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var oldToken = new TokenIssuer(secret, "soma", "soma", TimeProvider.System).Issue("default", "old", ["admin"], TimeSpan.FromHours(1));
        Assert.True(string.IsNullOrEmpty(new JsonWebToken(oldToken).Kid), "tokens from before the ring carry no kid");

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = SomaProcess.Start(["serve", "--data", Data, "--urls", url]);
        await server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", oldToken);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/sessions")).StatusCode);

        var ring = Path.Combine(Data, "keys.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ring));
        var (code, listed, error) = await SomaProcess.RunAsync(["keys", "list", "--json", "--data", Data]);
        Assert.True(code == 0, error);
        var key = Assert.Single(JsonDocument.Parse(listed).RootElement.GetProperty("keys").EnumerateArray());
        Assert.True(key.GetProperty("legacy").GetBoolean());
        Assert.Equal("active", key.GetProperty("state").GetString());
        Assert.DoesNotContain(Convert.ToBase64String(secret), listed, StringComparison.Ordinal);

        // New tokens name the key; the server accepts them too.
        var (_, issued, _) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "new", "--data", Data]);
        Assert.Equal(key.GetProperty("kid").GetString(), new JsonWebToken(issued.Trim()).Kid);
    }

    [Theory]
    [InlineData("--alg", "PS512", "--alg 'PS512' is not HS256, RS256 or ES256")]
    [InlineData("--grace", "soon", "--grace 'soon'")]
    public async Task Rotate_refuses_bad_input_naming_it(string option, string value, string expected)
    {
        var (code, _, error) = await SomaProcess.RunAsync(["keys", "rotate", option, value, "--data", Data]);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Data, "keys.json")), "nothing is written for bad input");
    }

    [Fact]
    public async Task Rotate_and_retire_refuse_a_ring_they_do_not_own_and_retire_refuses_the_last_signer()
    {
        var keys = Path.Combine(_work.Path, "mounted");
        Directory.CreateDirectory(keys);
        var directory = new Dictionary<string, string> { ["SOMA__AUTH__KEYS__SOURCE"] = "Directory", ["SOMA__AUTH__KEYS__DIRECTORY"] = keys };
        var (code, _, error) = await SomaProcess.RunAsync(["keys", "rotate", "--data", Data], directory);
        Assert.NotEqual(0, code);
        Assert.Contains("Soma:Auth:Keys:Source", error, StringComparison.Ordinal);

        var (_, listed, _) = await SomaProcess.RunAsync(["keys", "list", "--json", "--data", Data]);
        var only = JsonDocument.Parse(listed).RootElement.GetProperty("keys")[0].GetProperty("kid").GetString()!;
        (code, _, error) = await SomaProcess.RunAsync(["keys", "retire", only, "--data", Data]);
        Assert.NotEqual(0, code);
        Assert.Contains("last key that can sign", error, StringComparison.Ordinal);

        (code, _, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "default", "--sub", "x", "--ttl", "60d", "--data", Data]);
        Assert.NotEqual(0, code);
        Assert.Contains("Soma:Auth:MaxTokenLifetime", error, StringComparison.Ordinal);
    }
}
