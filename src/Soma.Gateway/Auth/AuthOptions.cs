namespace Soma.Gateway.Auth;

/// <summary>Bearer-token authentication, bound from <c>Soma:Auth</c>.</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Auth";

    /// <summary><c>Hs256</c> (default: Soma's own key ring, HS256, RS256 or ES256 keys, see <c>Soma:Auth:Keys</c>) or <c>Rs256</c> (an external identity provider).</summary>
    public AuthMode Mode { get; set; } = AuthMode.Hs256;

    /// <summary>The <c>iss</c> every token must carry. Default <c>soma</c>.</summary>
    public string Issuer { get; set; } = "soma";

    /// <summary>The <c>aud</c> every token must carry. Default <c>soma</c>.</summary>
    public string Audience { get; set; } = "soma";

    /// <summary>The HS256 key file; default <c>{DataDir}/jwt-hs256.key</c>. Created with mode 0600 when missing.</summary>
    public string? Hs256KeyPath { get; set; }

    /// <summary>RS256: a PEM file holding the identity provider's public key.</summary>
    public string? Rs256PublicKeyPath { get; set; }

    /// <summary>RS256: the identity provider's JWKS URL (keys are fetched and refreshed from it).</summary>
    public Uri? JwksUrl { get; set; }

    /// <summary>
    /// The longest lifetime of a token Soma signs (<c>soma token issue --ttl</c> at most this); a rotated-out signer is
    /// retired this long after its successor took over, when every token it signed has expired. Default 30 days.
    /// </summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Tolerance for clock differences when checking expiry, in seconds. Default 30.</summary>
    public int ClockSkewSeconds { get; set; } = 30;
}
