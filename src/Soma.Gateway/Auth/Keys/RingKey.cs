using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Soma.Gateway.Auth.Keys;

/// <summary>A key of the ring, parsed: its document and the security keys that verify and (when private) sign.</summary>
public sealed class RingKey
{
    private const int MinSecretBytes = 32;

    private RingKey(KeyDocument document, string kid, SecurityKey verifier, SecurityKey? signer)
    {
        Document = document;
        Kid = kid;
        Verifier = verifier;
        Signer = signer;
    }

    /// <summary>The key as stored.</summary>
    public KeyDocument Document { get; }

    /// <summary>The key id.</summary>
    public string Kid { get; }

    /// <summary>The JWS algorithm (<c>HS256</c>, <c>RS256</c>, <c>ES256</c>).</summary>
    public string Algorithm => Document.Alg;

    /// <summary>The key that checks signatures.</summary>
    public SecurityKey Verifier { get; }

    /// <summary>The key that signs, or null for a verify-only public key.</summary>
    public SecurityKey? Signer { get; }

    /// <summary>True for RS256/ES256 keys, whose public half may be published (JWKS).</summary>
    public bool IsAsymmetric => Algorithm != SecurityAlgorithms.HmacSha256;

    /// <summary>The declared state, or null when the key's dates decide.</summary>
    internal SigningKeyState? DeclaredState { get; private init; }

    /// <summary>When the key started (or starts) signing, for choosing the newest signer.</summary>
    internal DateTimeOffset Since => Document.ActivateAt ?? Document.Created ?? DateTimeOffset.MinValue;

    /// <summary>The state at <paramref name="now"/>, ignoring which key is the signer (see <see cref="KeyRing.StateOf"/>).</summary>
    internal SigningKeyState BaseState(DateTimeOffset now) =>
        DeclaredState == SigningKeyState.Retired || Document.RetireAt <= now ? SigningKeyState.Retired
        : DeclaredState == SigningKeyState.Pending || Document.ActivateAt > now ? SigningKeyState.Pending
        : SigningKeyState.Active;

    /// <summary>Parses a stored key; <paramref name="where"/> names it in errors (a file, an entry).</summary>
    /// <exception cref="InvalidDataException">The key is incomplete or wrong; the message names <paramref name="where"/> and the field.</exception>
    public static RingKey Parse(KeyDocument document, string where, string? defaultKid = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        var kid = string.IsNullOrWhiteSpace(document.Kid) ? defaultKid : document.Kid;
        if (string.IsNullOrWhiteSpace(kid) || kid.Length > 128 || kid.Any(c => char.IsControl(c) || c is '"' or '\\'))
        {
            throw new InvalidDataException($"{where}: 'kid' must be 1-128 printable characters without quotes.");
        }

        SigningKeyState? declared = document.State?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            "pending" => SigningKeyState.Pending,
            "active" => SigningKeyState.Active,
            "retired" => SigningKeyState.Retired,
            var other => throw new InvalidDataException($"{where}: 'state' '{other}' is not pending, active or retired."),
        };

        try
        {
            var (verifier, signer) = document.Alg switch
            {
                SecurityAlgorithms.HmacSha256 => Symmetric(document, where),
                SecurityAlgorithms.RsaSha256 => Rsa(document, where),
                SecurityAlgorithms.EcdsaSha256 => EcDsa(document, where),
                _ => throw new InvalidDataException($"{where}: 'alg' '{document.Alg}' is not HS256, RS256 or ES256."),
            };
            verifier.KeyId = kid;
            if (signer is not null)
            {
                signer.KeyId = kid;
            }

            return new RingKey(document with { Kid = kid }, kid, verifier, signer) { DeclaredState = declared };
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException($"{where}: the key material of '{kid}' does not load ({ex.GetType().Name}).");
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{where}: the key material of '{kid}' is not a PEM key.");
        }
    }

    /// <summary>A new key with fresh material.</summary>
    /// <param name="algorithm"><c>HS256</c>, <c>RS256</c> or <c>ES256</c>.</param>
    /// <param name="now">Its creation time (also used in its kid).</param>
    public static KeyDocument Generate(string algorithm, DateTimeOffset now)
    {
        var kid = $"{algorithm.ToLowerInvariant()}-{now.UtcDateTime:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var document = new KeyDocument { Kid = kid, Alg = algorithm, Created = now };
        switch (algorithm)
        {
            case SecurityAlgorithms.HmacSha256:
                return document with { Secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinSecretBytes)) };
            case SecurityAlgorithms.RsaSha256:
                using (var rsa = System.Security.Cryptography.RSA.Create(3072))
                {
                    return document with { PrivateKey = rsa.ExportPkcs8PrivateKeyPem() };
                }

            case SecurityAlgorithms.EcdsaSha256:
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return document with { PrivateKey = ec.ExportPkcs8PrivateKeyPem() };
                }

            default:
                throw new ArgumentException($"'{algorithm}' is not HS256, RS256 or ES256.", nameof(algorithm));
        }
    }

    /// <summary>
    /// The kid of the key migrated from <c>jwt-hs256.key</c>: derived from the secret (an HMAC of a fixed label, which
    /// tells nothing about the key), so every node that shares the file gives it the same kid.
    /// </summary>
    public static string LegacyKid(byte[] secret) =>
        "hs256-legacy-" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes("soma kid")))[..12];

    private static (SecurityKey, SecurityKey?) Symmetric(KeyDocument document, string where)
    {
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(document.Secret ?? throw new InvalidDataException($"{where}: an HS256 key needs 'secret' (base64)."));
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{where}: 'secret' is not base64.");
        }

        if (secret.Length < MinSecretBytes)
        {
            throw new InvalidDataException($"{where}: 'secret' holds {secret.Length * 8} bits; at least {MinSecretBytes * 8} are required.");
        }

        var key = new SymmetricSecurityKey(secret);
        return (key, key);
    }

    private static (SecurityKey, SecurityKey?) Rsa(KeyDocument document, string where)
    {
        var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(Pem(document, where));
        if (rsa.KeySize < 2048)
        {
            throw new InvalidDataException($"{where}: the RSA key has {rsa.KeySize} bits; at least 2048 are required.");
        }

        var publicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false));
        return (publicKey, document.PrivateKey is null ? null : new RsaSecurityKey(rsa));
    }

    private static (SecurityKey, SecurityKey?) EcDsa(KeyDocument document, string where)
    {
        var ec = ECDsa.Create();
        ec.ImportFromPem(Pem(document, where));
        if (ec.KeySize != 256)
        {
            throw new InvalidDataException($"{where}: ES256 needs a P-256 key (this one has {ec.KeySize} bits).");
        }

        var publicKey = ECDsa.Create(ec.ExportParameters(includePrivateParameters: false));
        return (new ECDsaSecurityKey(publicKey), document.PrivateKey is null ? null : new ECDsaSecurityKey(ec));
    }

    private static string Pem(KeyDocument document, string where) =>
        document.PrivateKey ?? document.PublicKey
        ?? throw new InvalidDataException($"{where}: an {document.Alg} key needs 'private_key' (PKCS#8 PEM) or 'public_key' (SPKI PEM).");
}
