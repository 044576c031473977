using System.Net;
using System.Net.Http.Headers;
using Soma.Gateway.Auth.Keys;
using Soma.Testing;

namespace Soma.Gateway.Tests.Auth;

/// <summary>The Vault KV v2 source against a loopback stand-in: failure modes keep the last good ring, Kubernetes auth.</summary>
public sealed class VaultKeySourceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sealed_forbidden_slow_or_malformed_vault_keeps_the_last_good_ring_reports_degraded_and_logs_no_secret()
    {
        await using var vault = await VaultStandIn.StartAsync();
        var key = RingKey.Generate("HS256", DateTimeOffset.UtcNow) with { State = "active" };
        vault.Publish(key);
        var logs = new Conversations.RecordingLoggerProvider();
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Soma:Auth:Keys:Source"] = "Vault",
                ["Soma:Auth:Keys:Vault:Address"] = vault.Address.ToString(),
                ["Soma:Auth:Keys:Vault:Path"] = "soma/signing-keys",
                ["Soma:Auth:Keys:Vault:Token"] = VaultStandIn.RootToken,
                ["Soma:Auth:Keys:Vault:PollInterval"] = "00:00:00.2",
                ["Soma:Auth:Keys:Vault:Timeout"] = "00:00:01",
            },
            logs);
        var token = KeyRotationTests.SignWith(new KeyRing([RingKey.Parse(key, "k")], "v"), key.Kid!);
        using var http = server.Anonymous();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        foreach (var (failure, expected) in new[]
        {
            (VaultStandIn.Failure.Sealed, "sealed"),
            (VaultStandIn.Failure.Forbidden, "permission denied"),
            (VaultStandIn.Failure.Slow, "did not answer"),
            (VaultStandIn.Failure.Malformed, "not JSON"),
        })
        {
            vault.Mode = failure;
            var degraded = await HealthAsync(server, token, c => c.GetProperty("status").GetString() == "degraded"
                && c.GetProperty("details").GetProperty("error").GetString()!.Contains(expected, StringComparison.Ordinal));
            Assert.Equal(key.Kid, degraded.GetProperty("details").GetProperty("signer").GetString());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/sessions")).StatusCode); // the last good ring still verifies

            vault.Mode = VaultStandIn.Failure.None;
            await HealthAsync(server, token, c => c.GetProperty("status").GetString() == "normal");
        }

        var text = string.Join("\n", logs.Lines);
        Assert.Contains("sealed", text, StringComparison.Ordinal);
        Assert.DoesNotContain(VaultStandIn.RootToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Secret!, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kubernetes_login_with_the_service_account_token_reads_the_keys_and_logs_in_again_when_the_token_is_revoked()
    {
        await using var vault = await VaultStandIn.StartAsync();
        using var work = new TempDirectory("soma-vault-k8s");
        var jwtPath = Path.Combine(work.Path, "token");
        await File.WriteAllTextAsync(jwtPath, "eyJ.service-account.jwt\n");
        vault.Kubernetes = ("soma", "eyJ.service-account.jwt");
        var key = RingKey.Generate("ES256", DateTimeOffset.UtcNow) with { State = "active" };
        vault.Publish(key);
        using var source = new VaultKeySource(new VaultKeyOptions
        {
            Address = vault.Address,
            Path = "soma/signing-keys",
            KubernetesRole = "soma",
            ServiceAccountTokenPath = jwtPath,
        });

        var ring = await source.LoadAsync();
        Assert.Equal(key.Kid, ring.SignerAt(DateTimeOffset.UtcNow)!.Kid);
        Assert.Equal("vault-1", ring.Version);
        Assert.Equal(1, vault.Logins);

        vault.RevokeLogins();
        await source.LoadAsync();
        Assert.Equal(2, vault.Logins);

        vault.Kubernetes = ("another-role", "eyJ.service-account.jwt");
        vault.RevokeLogins();
        var refused = await Assert.ThrowsAsync<KeySourceException>(() => source.LoadAsync());
        Assert.Contains("role 'soma'", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("service-account.jwt", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_vault_is_unreachable_at_start_does_not_start_and_says_why()
    {
        var port = FreePort.Next();
        var failure = await Assert.ThrowsAsync<KeySourceException>(() => RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Auth:Keys:Source"] = "Vault",
            ["Soma:Auth:Keys:Vault:Address"] = $"http://127.0.0.1:{port}",
            ["Soma:Auth:Keys:Vault:Path"] = "soma/signing-keys",
            ["Soma:Auth:Keys:Vault:Token"] = VaultStandIn.RootToken,
        }));
        Assert.Contains("cannot be reached", failure.Message, StringComparison.Ordinal);
    }

    private static async Task<System.Text.Json.JsonElement> HealthAsync(RunningServer server, string token, Func<System.Text.Json.JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var component = await KeyRotationTests.SigningKeysHealthAsync(server, token);
            if (condition(component))
            {
                return component;
            }

            Assert.True(DateTime.UtcNow < deadline, $"signing_keys health never matched: {component}");
            await Task.Delay(100);
        }
    }
}
