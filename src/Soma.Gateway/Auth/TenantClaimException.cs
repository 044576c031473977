using Microsoft.IdentityModel.Tokens;

namespace Soma.Gateway.Auth;

/// <summary>A correctly signed token without a usable <c>tenant</c> claim.</summary>
internal sealed class TenantClaimException : SecurityTokenValidationException
{
    public TenantClaimException()
        : base("The token has no valid tenant claim.")
    {
    }

    public TenantClaimException(string message)
        : base(message)
    {
    }

    public TenantClaimException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
