using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Soma.Core.Tenancy;

namespace Soma.Gateway.Auth;

/// <summary>Issues HS256 bearer tokens that the embedded authentication accepts.</summary>
/// <param name="key">The HS256 key (see <see cref="Hs256KeyFile"/>).</param>
/// <param name="issuer">The <c>iss</c> claim.</param>
/// <param name="audience">The <c>aud</c> claim.</param>
/// <param name="timeProvider">The clock for <c>iat</c> and <c>exp</c>.</param>
public sealed class TokenIssuer(byte[] key, string issuer, string audience, TimeProvider timeProvider)
{
    /// <summary>The longest lifetime a token may be issued for.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

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

        var now = timeProvider.GetUtcNow();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
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
