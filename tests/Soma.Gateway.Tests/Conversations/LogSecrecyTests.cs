using System.Net;
using System.Net.Http.Headers;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Soma.Gateway.Auth;
using Soma.Server.Dev;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>No log line, at any level, holds a bearer token, a model's API key or the HS256 signing key.</summary>
[SupportedOSPlatform("linux")]
public sealed class LogSecrecyTests
{
    private const string ApiKey = "sk-test-SECRET-123";

    // Everything, from every category, reaches the recorder; the console stays quiet.
    private static readonly Dictionary<string, string?> Verbose = new()
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:System"] = "Trace",
        ["Logging:Console:LogLevel:Default"] = "None",
    };

    [Fact]
    public async Task Auth_failures_turns_and_failing_models_with_a_key_log_no_token_and_no_key()
    {
        // "flaky" accepts the key and fails when scripted; "locked" wants another key, so the configured one gets 401.
        await using var flaky = await DevModelServer.StartAsync(new DevModelServerOptions { ApiKey = ApiKey });
        await using var locked = await DevModelServer.StartAsync(new DevModelServerOptions { ApiKey = "sk-some-other-key" });
        var logs = new RecordingLoggerProvider();
        var configuration = new Dictionary<string, string?>(Verbose);
        foreach (var (key, value) in Model("flaky", flaky, "flaky-model", apiKey: ApiKey).Concat(Model("locked", locked, "locked-model", apiKey: ApiKey)))
        {
            configuration[key] = value;
        }

        configuration["Soma:Models:Fallback:0"] = "flaky";
        configuration["Soma:Models:Fallback:1"] = "locked";
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        await using var server = await RunningServer.StartAsync(configuration, logs);

        var tenant = ServerFixture.NewTenant();
        var tokens = new List<string> { server.IssueToken(tenant) };
        tokens.AddRange(new[] { server.StartTokens.Admin, server.StartTokens.SignIn }.OfType<string>());

        // Refused tokens: expired, signed with another key, for no tenant, cut short, and none at all.
        var refused = new[]
        {
            server.IssueToken(tenant, lifetime: TimeSpan.FromHours(1), clock: new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3))),
            new TokenIssuer(RandomNumberGenerator.GetBytes(32), "soma", "soma", TimeProvider.System).Issue(tenant, "mallory", [], TimeSpan.FromHours(1)),
            new TokenIssuer(Hs256KeyFile.Load(Path.Combine(server.DataDir, "jwt-hs256.key")), "someone-else", "soma", TimeProvider.System).Issue(tenant, "x", [], TimeSpan.FromHours(1)),
        };
        tokens.AddRange(refused);
        var truncated = tokens[0][..^10];
        tokens.Add(truncated);
        foreach (var token in refused.Append(truncated))
        {
            using var client = server.Anonymous();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/v1/sessions", null)).StatusCode);
        }

        using (var anonymous = server.Anonymous())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/health")).StatusCode);
        }

        // A turn where every model fails (500, then 401 for the key), one with a broken stream, and one that works.
        using var user = server.For(tenant);
        tokens.Add(user.DefaultRequestHeaders.Authorization!.Parameter!);
        var session = await CreateSessionAsync(user);
        flaky.Enqueue(ScriptedResponse.Error(500));
        var failed = await SendAsync(user, session, "this fails everywhere");
        Assert.Equal("failed", (await RunEndedAsync(user, failed.RunId)).GetProperty("state").GetString());
        flaky.Enqueue(ScriptedResponse.Text("half an answer") with { CutAfterChunks = 1 });
        var answered = await SendAsync(user, session, "this works in the end");
        Assert.Equal("succeeded", (await RunEndedAsync(user, answered.RunId)).GetProperty("state").GetString());
        Assert.Contains(locked.Requests, r => r.HasAuthorization);

        var hs256Key = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "jwt-hs256.key"))).Trim();
        var lines = logs.Lines;
        Assert.Contains(lines, l => l.Contains("passed over", StringComparison.Ordinal) && l.Contains("HTTP 500", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("broke off", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("was not authenticated", StringComparison.Ordinal));
        AssertNoSecrets(lines, tokens.Append(ApiKey).Append(hs256Key));
    }

    [Fact]
    public async Task A_configuration_error_for_a_model_with_a_key_names_the_setting_but_never_the_key()
    {
        var logs = new RecordingLoggerProvider();
        var configuration = new Dictionary<string, string?>(Verbose)
        {
            ["Soma:Models:Endpoints:broken:Endpoint"] = "ftp://models.example/v1/",
            ["Soma:Models:Endpoints:broken:Model"] = "some-model",
            ["Soma:Models:Endpoints:broken:ApiKey"] = ApiKey,
            ["Soma:Models:Endpoints:broken:TimeoutSeconds"] = "0",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(configuration, logs));
        Assert.Contains("Soma:Models:Endpoints:broken:Endpoint", error.Message, StringComparison.Ordinal);
        AssertNoSecrets([error.ToString(), .. logs.Lines], [ApiKey]);
    }

    private static void AssertNoSecrets(IEnumerable<string> lines, IEnumerable<string> secrets)
    {
        var all = lines.ToList();
        Assert.NotEmpty(all);
        foreach (var secret in secrets.Distinct())
        {
            // A token is three base64url parts; its signature alone is as secret as the whole.
            foreach (var part in secret.Split('.').Where(p => p.Length >= 16).Prepend(secret))
            {
                var leak = all.FirstOrDefault(l => l.Contains(part, StringComparison.Ordinal));
                Assert.True(leak is null, $"a log line holds a secret ({part[..8]}…): {leak}");
            }
        }
    }
}
