namespace Soma.Gateway.Auth;

/// <summary>How bearer tokens are signed.</summary>
public enum AuthMode
{
    /// <summary>HMAC-SHA256 with a key generated into the data directory on first start (the embedded default).</summary>
    Hs256,

    /// <summary>RSA-SHA256 tokens from an identity provider, verified with a configured public key or a JWKS URL.</summary>
    Rs256,
}
