using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

using Soma.Testing;

namespace Soma.Server.Tests;

public sealed class TokenCommandTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("soma-token-");

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public async Task Token_issue_prints_a_token_with_the_requested_claims()
    {
        var (exitCode, stdout, stderr) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "acme", "--sub", "alice", "--roles", "reader,writer", "--ttl", "2h", "--data", _data.FullName]);
        Assert.True(exitCode == 0, stderr);
        var token = new JsonWebToken(stdout.Trim());
        Assert.Equal("acme", token.GetClaim("tenant").Value);
        Assert.Equal("alice", token.Subject);
        Assert.Equal(["reader", "writer"], token.Claims.Where(c => c.Type == "roles").Select(c => c.Value));
        Assert.InRange(token.ValidTo - token.IssuedAt, TimeSpan.FromMinutes(119), TimeSpan.FromMinutes(121));
        Assert.Equal("HS256", token.Alg);
    }

    [Fact]
    public async Task Token_issue_json_prints_token_and_claims()
    {
        var (exitCode, stdout, _) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "acme", "--sub", "bot", "--json", "--data", _data.FullName]);
        Assert.Equal(0, exitCode);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("acme", json.GetProperty("tenant").GetString());
        Assert.StartsWith("eyJ", json.GetProperty("token").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ttl", "forever", "--ttl")]
    [InlineData("--ttl", "0h", "--ttl")]
    [InlineData("--ttl", "400d", "--ttl")]
    [InlineData("--tenant", "Not A Tenant", "tenant")]
    [InlineData("--tenant", "acme.corp", "no '.'")]
    public async Task Bad_options_exit_2_naming_the_problem(string option, string value, string named)
    {
        var args = new List<string> { "token", "issue", "--sub", "x", "--data", _data.FullName };
        if (option != "--tenant")
        {
            args.AddRange(["--tenant", "acme"]);
        }

        args.AddRange([option, value]);
        var (exitCode, stdout, stderr) = await SomaProcess.RunAsync(args);
        Assert.Equal(2, exitCode);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout.Trim());
    }

    [Fact]
    public async Task A_missing_required_option_is_an_error()
    {
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["token", "issue", "--sub", "x", "--data", _data.FullName]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--tenant", stderr, StringComparison.Ordinal);
    }
}
