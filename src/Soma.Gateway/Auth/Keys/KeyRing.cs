using Microsoft.IdentityModel.Tokens;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// An immutable snapshot of the signing keys: one signer, several verification keys, each with a kid. States follow
/// from the clock (a pending key becomes the signer at its <c>activate_at</c>, a former signer is retired at its
/// <c>retire_at</c>), so every process that holds the same ring agrees without coordinating.
/// </summary>
public sealed class KeyRing
{
    /// <summary>Creates a ring.</summary>
    /// <param name="keys">The keys (kids unique).</param>
    /// <param name="version">What identifies this content (a file hash, a Vault secret version).</param>
    /// <exception cref="InvalidDataException">Two keys share a kid, or more than one is marked legacy.</exception>
    public KeyRing(IReadOnlyList<RingKey> keys, string version)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var duplicate = keys.GroupBy(k => k.Kid, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"The key id '{duplicate.Key}' is used by more than one key.");
        }

        if (keys.Count(k => k.Document.Legacy) > 1)
        {
            throw new InvalidDataException("More than one key is marked legacy; tokens without kid need exactly one.");
        }

        Keys = keys;
        Version = version;
    }

    /// <summary>The keys, retired ones included.</summary>
    public IReadOnlyList<RingKey> Keys { get; }

    /// <summary>The version of the content.</summary>
    public string Version { get; }

    /// <summary>The key that signs new tokens at <paramref name="now"/>: the newest active key with private material.</summary>
    public RingKey? SignerAt(DateTimeOffset now) => Keys
        .Where(k => k.Signer is not null && k.BaseState(now) == SigningKeyState.Active)
        .OrderByDescending(k => k.Since)
        .ThenByDescending(k => k.Kid, StringComparer.Ordinal)
        .FirstOrDefault();

    /// <summary>The state of <paramref name="key"/> at <paramref name="now"/>.</summary>
    public SigningKeyState StateOf(RingKey key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        var state = key.BaseState(now);
        return state == SigningKeyState.Active && !ReferenceEquals(SignerAt(now), key) ? SigningKeyState.Previous : state;
    }

    /// <summary>
    /// The keys that may have signed a token with <paramref name="kid"/> and <paramref name="algorithm"/>: the key of that
    /// kid, or, for a token without kid, the legacy key. Retired means the only match is retired.
    /// </summary>
    public KeyLookup Find(string? kid, string? algorithm, DateTimeOffset now)
    {
        var match = string.IsNullOrEmpty(kid)
            ? Keys.FirstOrDefault(k => k.Document.Legacy)
            : Keys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));
        if (match is null || (algorithm is not null && !string.Equals(match.Algorithm, algorithm, StringComparison.Ordinal)))
        {
            return new KeyLookup([], Retired: false);
        }

        return match.BaseState(now) == SigningKeyState.Retired
            ? new KeyLookup([], Retired: true)
            : new KeyLookup([match.Verifier], Retired: false);
    }

    /// <summary>The public keys to publish at <c>/.well-known/jwks.json</c>: RS256/ES256 keys not retired (never HS256).</summary>
    public IReadOnlyList<JsonWebKey> PublicJwks(DateTimeOffset now) => [.. Keys
        .Where(k => k.IsAsymmetric && k.BaseState(now) != SigningKeyState.Retired)
        .Select(k =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromSecurityKey(k.Verifier);
            jwk.Kid = k.Kid;
            jwk.Alg = k.Algorithm;
            jwk.Use = "sig";
            return jwk;
        })];
}

/// <summary>The result of <see cref="KeyRing.Find"/>.</summary>
/// <param name="Keys">The keys to check the signature with (none: unknown kid, or retired).</param>
/// <param name="Retired">True when the kid names a retired key.</param>
public sealed record KeyLookup(IReadOnlyList<SecurityKey> Keys, bool Retired);
