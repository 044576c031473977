using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Soma.Core.Tenancy;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Auth;

/// <summary>Configures the JWT bearer handler from <see cref="AuthOptions"/>; failures answer with problem+json.</summary>
internal sealed class JwtBearerSetup(IOptions<AuthOptions> authOptions, Keys.KeyRingProvider keyRing) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(JwtBearerOptions options) => Configure(JwtBearerDefaults.AuthenticationScheme, options);

    public void Configure(string? name, JwtBearerOptions options)
    {
        var auth = authOptions.Value;
        options.MapInboundClaims = false;
        options.IncludeErrorDetails = false;
        options.RequireHttpsMetadata = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(auth.ClockSkewSeconds),
            NameClaimType = SomaClaims.Subject,
            RoleClaimType = SomaClaims.Roles,
        };

        var parameters = options.TokenValidationParameters;
        switch (auth.Mode)
        {
            case AuthMode.Hs256:
                // The key ring: the token's kid (or, without one, the legacy key) picks the key, its algorithm must match.
                parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
                parameters.IssuerSigningKeyResolver = (_, token, kid, _) =>
                    keyRing.Resolve(kid, (token as Microsoft.IdentityModel.JsonWebTokens.JsonWebToken)?.Alg);
                break;
            case AuthMode.Rs256 when auth.JwksUrl is { } jwks:
                parameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256];
                options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                    jwks.ToString(),
                    new JwksConfigurationRetriever(),
                    new HttpDocumentRetriever { RequireHttps = false });
                break;
            case AuthMode.Rs256:
                parameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256];
                var rsa = RSA.Create();
                rsa.ImportFromPem(File.ReadAllText(auth.Rs256PublicKeyPath!));
                parameters.IssuerSigningKey = new RsaSecurityKey(rsa);
                break;
        }

        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var tenant = context.Principal?.FindFirst(SomaClaims.Tenant)?.Value;
                if (!TenantId.IsValid(tenant))
                {
                    context.Fail(new TenantClaimException());
                }

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                var (type, detail) = Describe(context);
                context.Response.Headers.WWWAuthenticate = type switch
                {
                    ProblemTypes.TokenMissing => "Bearer",
                    ProblemTypes.TokenKeyRetired => $"Bearer error=\"invalid_token\", error_description=\"{ProblemTypes.KeyRetiredCode}\"",
                    _ => "Bearer error=\"invalid_token\"",
                };
                await ProblemDetailsSetup.WriteStatusAsync(
                    context.HttpContext, StatusCodes.Status401Unauthorized, type, "Unauthorized", detail,
                    type == ProblemTypes.TokenKeyRetired ? ProblemTypes.KeyRetiredCode : null);
            },
            OnForbidden = context => ProblemDetailsSetup.WriteStatusAsync(
                context.HttpContext, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden", "The token does not grant this."),
        };
    }

    private static (string Type, string Detail) Describe(JwtBearerChallengeContext context) => context.AuthenticateFailure switch
    {
        null => (ProblemTypes.TokenMissing, "Send a bearer token: 'Authorization: Bearer <token>' (see 'soma token issue')."),
        Keys.SecurityTokenKeyRetiredException => (ProblemTypes.TokenKeyRetired, "The token was signed with a retired key; get a new token."),
        SecurityTokenExpiredException => (ProblemTypes.TokenExpired, "The token has expired; issue a new one."),
        TenantClaimException => (ProblemTypes.TokenNoTenant, "The token has no valid 'tenant' claim."),
        SecurityTokenMalformedException or ArgumentException => (ProblemTypes.TokenMalformed, "The bearer token is not a well-formed JWT."),
        _ => (ProblemTypes.TokenInvalid, "The token's signature, issuer, audience or algorithm is not accepted."),
    };
}
