using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Soma.Gateway.Auth.Keys;

namespace Soma.Gateway.Auth;

/// <summary>
/// <c>GET /.well-known/jwks.json</c>: the public halves of the RS256/ES256 keys that are pending, signing or still verifying,
/// for services that check Soma's tokens themselves. HS256 secrets are never published.
/// </summary>
internal static class JwksEndpoints
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/.well-known/jwks.json", (KeyRingProvider keys, HttpContext context) =>
            {
                // Short caching: a verifier sees a pending key well before it signs (the rotation's grace period).
                context.Response.Headers.CacheControl = "public, max-age=60";
                return TypedResults.Ok(new JwksResponse([.. keys.PublicJwks().Select(k => new JwkResponse(
                    k.Kty, k.Kid, k.Use, k.Alg, k.N, k.E, k.Crv, k.X, k.Y))]));
            })
            .AllowAnonymous()
            .WithTags("auth")
            .WithSummary("The public signing keys (JWKS, RFC 7517): RS256 and ES256 keys that are pending, active or still verifying.");
}

/// <summary>A JSON Web Key Set.</summary>
/// <param name="Keys">The keys.</param>
internal sealed record JwksResponse(IReadOnlyList<JwkResponse> Keys);

/// <summary>One public key (RFC 7517/7518): RSA (<c>n</c>, <c>e</c>) or EC P-256 (<c>crv</c>, <c>x</c>, <c>y</c>).</summary>
internal sealed record JwkResponse(
    string Kty,
    string Kid,
    string Use,
    string Alg,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? N,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? E,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Crv,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? X,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Y);
