using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Soma.Core.Tenancy;
using Soma.Gateway.Auth.Keys;

namespace Soma.Gateway.Auth;

/// <summary>Issues bearer tokens that the embedded authentication accepts.</summary>
public sealed class TokenIssuer
{
    private readonly SigningCredentials _credentials;
    private readonly string _issuer;
    private readonly string _audience;
    private readonly TimeProvider _timeProvider;

    /// <summary>An issuer signing HS256 with <paramref name="key"/> and no <c>kid</c> (the legacy key of <c>jwt-hs256.key</c>).</summary>
    /// <param name="key">The HS256 key (see <see cref="Hs256KeyFile"/>).</param>
    /// <param name="issuer">The <c>iss</c> claim.</param>
    /// <param name="audience">The <c>aud</c> claim.</param>
    /// <param name="timeProvider">The clock for <c>iat</c> and <c>exp</c>.</param>
    public TokenIssuer(byte[] key, string issuer, string audience, TimeProvider timeProvider)
        : this(new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256), issuer, audience, timeProvider)
    {
    }

    /// <summary>An issuer signing with <paramref name="credentials"/> (the key's <c>KeyId</c> goes into the header as <c>kid</c>).</summary>
    public TokenIssuer(SigningCredentials credentials, string issuer, string audience, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
        _issuer = issuer;
        _audience = audience;
        _timeProvider = timeProvider;
    }

    /// <summary>The longest lifetime a token may ever be issued for (<c>Soma:Auth:MaxTokenLifetime</c> may only lower it).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

    /// <summary>The kid this issuer puts in the header, or null (legacy).</summary>
    public string? KeyId => _credentials.Key.KeyId;

    /// <summary>An issuer signing with the ring's current signer.</summary>
    /// <exception cref="InvalidOperationException">No key of the ring can sign now.</exception>
    public static TokenIssuer FromRing(KeyRing ring, string issuer, string audience, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var signer = ring.SignerAt(timeProvider.GetUtcNow())
            ?? throw new InvalidOperationException("No signing key is active: every key is pending, retired or public only.");
        return new TokenIssuer(new SigningCredentials(signer.Signer, signer.Algorithm), issuer, audience, timeProvider);
    }

    /// <summary>Creates a signed token.</summary>
    /// <param name="tenant">The tenant (see <see cref="TenantId.IsValid"/>).</param>
    /// <param name="subject">Who the token is for.</param>
    /// <param name="roles">The roles granted.</param>
    /// <param name="lifetime">How long it is valid: more than zero, at most <see cref="MaxLifetime"/>.</param>
    public string Issue(string tenant, string subject, IReadOnlyCollection<string> roles, TimeSpan lifetime)
    {
        if (!TenantId.IsValid(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a valid tenant id ({TenantId.Rule}; no '.', so it fits a bus subject).", nameof(tenant));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentNullException.ThrowIfNull(roles);
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, $"The lifetime must be more than zero and at most {MaxLifetime.TotalDays} days.");
        }

        var now = _timeProvider.GetUtcNow();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            Audience = _audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = _credentials,
            Claims = new Dictionary<string, object>
            {
                [SomaClaims.Tenant] = tenant,
                [SomaClaims.Subject] = subject,
                [SomaClaims.Roles] = roles.ToArray(),
                [JwtRegisteredClaimNames.Jti] = Guid.CreateVersion7(now).ToString(),
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
