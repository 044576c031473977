using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

using Soma.Testing;

namespace Soma.Server.Tests;

public sealed class ServeTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-serve-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task First_start_prints_url_and_admin_token_stores_sqlite_in_dot_soma_and_stops_cleanly_on_sigterm()
    {
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}"], workingDirectory: _work.FullName);
        var output = await soma.WaitForOutputAsync("Authorization: Bearer", TimeSpan.FromSeconds(60));
        Assert.Contains($"listening on http://127.0.0.1:{port}", output, StringComparison.Ordinal);
        var token = AdminToken(output);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/health")).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var health = JsonDocument.Parse(await http.GetStringAsync("/v1/health")).RootElement;
        Assert.Equal("normal", health.GetProperty("status").GetString());

        // The default data directory is ./.soma under the working directory, private to its owner.
        var dataDir = Path.Combine(_work.FullName, ".soma");
        Assert.True(File.Exists(Path.Combine(dataDir, "soma.db")), "the SQLite file is in ./.soma");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "jwt-hs256.key")));

        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_second_start_keeps_the_key_prints_no_token_and_old_tokens_still_work()
    {
        var data = Path.Combine(_work.FullName, "data");
        var port = SomaProcess.FreePort();
        string token;
        await using (var first = SomaProcess.Start(["serve", "--data", data, "--urls", $"http://127.0.0.1:{port}"]))
        {
            token = AdminToken(await first.WaitForOutputAsync("Authorization: Bearer", TimeSpan.FromSeconds(60)));
            Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(30)));
        }

        await using var second = SomaProcess.Start(["serve", "--data", data, "--urls", $"http://127.0.0.1:{port}"]);
        var output = await second.WaitForOutputAsync("issue a token", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/health")).StatusCode);

        // Tokens used in requests, accepted or refused, never reach the log.
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token + "tampered");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/health")).StatusCode);
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(token, second.Stdout + second.Stderr, StringComparison.Ordinal);
        var key = (await File.ReadAllTextAsync(Path.Combine(data, "jwt-hs256.key"))).Trim();
        Assert.DoesNotContain(key, second.Stdout + second.Stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadConfiguration => new()
    {
        { "SOMA__STORE__PROVIDER", "mysql", "Soma:Store:Provider" },
        { "SOMA__STORE__SQLITE__SYNCHRONOUS", "sometimes", "Soma:Store:Sqlite:Synchronous" },
        { "SOMA__OUTBOX__MAXATTEMPTS", "0", "Soma:Outbox:MaxAttempts" },
        { "SOMA__GATEWAY__MAXREQUESTBODYBYTES", "12", "Soma:Gateway:MaxRequestBodyBytes" },
        { "SOMA__AUTH__MODE", "Rs256", "Soma:Auth:Mode Rs256" },
        { "SOMA__STORE__POSTGRES__CONNECTIONSTRING", string.Empty, "Soma:Store:Postgres:ConnectionString" },
        { "OTEL_TRACES_SAMPLER", "sometimes", "OTEL_TRACES_SAMPLER 'sometimes' is not supported" },
    };

    [Theory]
    [MemberData(nameof(BadConfiguration))]
    public async Task Bad_configuration_stops_the_start_naming_the_key_and_writes_nothing(string variable, string value, string named)
    {
        var data = Path.Combine(_work.FullName, "data");
        var environment = new Dictionary<string, string> { [variable] = value };
        if (variable.Contains("POSTGRES", StringComparison.Ordinal))
        {
            environment["SOMA__STORE__PROVIDER"] = "postgres";
        }

        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["serve", "--data", data, "--urls", $"http://127.0.0.1:{SomaProcess.FreePort()}"], environment);
        Assert.Equal(2, exitCode);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "nothing is written when the configuration is wrong");
    }

    [Fact]
    public async Task An_unknown_role_is_refused_naming_it()
    {
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["serve", "--data", Path.Combine(_work.FullName, "d"), "--roles", "gateway,juggler"]);
        Assert.Equal(2, exitCode);
        Assert.Contains("juggler", stderr, StringComparison.Ordinal);
    }

    private static string AdminToken(string output) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("eyJ", StringComparison.Ordinal));
}
