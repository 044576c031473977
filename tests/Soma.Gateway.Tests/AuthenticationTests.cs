using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Soma.Gateway.Auth;

namespace Soma.Gateway.Tests;

public sealed class AuthenticationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Liveness_and_readiness_need_no_token(string path)
    {
        using var client = Server.Anonymous();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_request_without_a_token_is_401_token_missing()
    {
        using var client = Server.Anonymous();
        var response = await client.GetAsync("/v1/health");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "token-missing");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task A_valid_token_reads_health()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var response = await client.GetAsync("/v1/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401_token_expired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        var token = Server.IssueToken("acme", lifetime: TimeSpan.FromHours(1), clock: clock);
        await AssertRefusedAsync(token, "token-expired");
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9")]
    public async Task A_malformed_token_is_401_token_malformed(string token) => await AssertRefusedAsync(token, "token-malformed");

    [Fact]
    public async Task A_token_signed_with_another_key_is_401_token_invalid()
    {
        var token = new TokenIssuer(RandomNumberGenerator.GetBytes(32), "soma", "soma", TimeProvider.System)
            .Issue("acme", "mallory", [], TimeSpan.FromHours(1));
        await AssertRefusedAsync(token, "token-invalid");
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_401_token_invalid()
    {
        var token = new TokenIssuer(ServerKey(), "someone-else", "soma", TimeProvider.System)
            .Issue("acme", "mallory", [], TimeSpan.FromHours(1));
        await AssertRefusedAsync(token, "token-invalid");
    }

    [Fact]
    public async Task An_unsigned_alg_none_token_is_refused()
    {
        static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var token = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"iss\":\"soma\",\"aud\":\"soma\",\"tenant\":\"acme\",\"sub\":\"x\",\"exp\":{exp}}}")}.";
        using var client = Client(token);
        var response = await client.GetAsync("/v1/health");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Not A Tenant!")]
    [InlineData("acme.corp")]
    [InlineData("acme.*")]
    public async Task A_token_without_a_valid_tenant_is_401_token_no_tenant(string? tenant)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "someone" };
        if (tenant is not null)
        {
            claims["tenant"] = tenant;
        }

        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "soma",
            Audience = "soma",
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(ServerKey()), SecurityAlgorithms.HmacSha256),
        });
        await AssertRefusedAsync(token, "token-no-tenant");
    }

    [Fact]
    public void Token_key_file_is_private_to_its_owner()
    {
        var mode = File.GetUnixFileMode(Path.Combine(Server.DataDir, "jwt-hs256.key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    private byte[] ServerKey() => Hs256KeyFile.Load(Path.Combine(Server.DataDir, "jwt-hs256.key"));

    private HttpClient Client(string token)
    {
        var client = Server.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task AssertRefusedAsync(string token, string type)
    {
        using var client = Client(token);
        var response = await client.GetAsync("/v1/health");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, type);
    }
}
