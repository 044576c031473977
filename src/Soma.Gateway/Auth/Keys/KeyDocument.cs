using System.Text.Json.Serialization;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// One key as it is stored: an element of <c>{DataDir}/keys.json</c>, a <c>&lt;kid&gt;.json</c> file of a watched directory,
/// or an entry of the Vault secret. Key material is a base64 <c>secret</c> (HS256), a PKCS#8 <c>private_key</c> PEM
/// (RS256/ES256 signing) or an SPKI <c>public_key</c> PEM (RS256/ES256, verify only).
/// </summary>
public sealed record KeyDocument
{
    /// <summary>The key id tokens carry in their header; defaults to the file or entry name.</summary>
    [JsonPropertyName("kid")]
    public string? Kid { get; init; }

    /// <summary><c>HS256</c>, <c>RS256</c> or <c>ES256</c>.</summary>
    [JsonPropertyName("alg")]
    public string Alg { get; init; } = "";

    /// <summary>Optional declared state: <c>pending</c>, <c>active</c> or <c>retired</c>; empty means "by its dates".</summary>
    [JsonPropertyName("state")]
    public string? State { get; init; }

    /// <summary>When the key was made.</summary>
    [JsonPropertyName("created")]
    public DateTimeOffset? Created { get; init; }

    /// <summary>When it may start signing (pending before).</summary>
    [JsonPropertyName("activate_at")]
    public DateTimeOffset? ActivateAt { get; init; }

    /// <summary>When it stops being accepted.</summary>
    [JsonPropertyName("retire_at")]
    public DateTimeOffset? RetireAt { get; init; }

    /// <summary>True for the key tokens without <c>kid</c> are checked against (the key of <c>jwt-hs256.key</c>).</summary>
    [JsonPropertyName("legacy")]
    public bool Legacy { get; init; }

    /// <summary>HS256: the base64 secret (at least 256 bits).</summary>
    [JsonPropertyName("secret")]
    public string? Secret { get; init; }

    /// <summary>RS256/ES256: the private key, PKCS#8 PEM.</summary>
    [JsonPropertyName("private_key")]
    public string? PrivateKey { get; init; }

    /// <summary>RS256/ES256 verify-only keys: the public key, SPKI PEM.</summary>
    [JsonPropertyName("public_key")]
    public string? PublicKey { get; init; }
}

/// <summary>The data directory's ring file, <c>{DataDir}/keys.json</c>.</summary>
/// <param name="Keys">Every key, retired ones included (so a token naming one is told why it is refused).</param>
public sealed record KeyRingFile([property: JsonPropertyName("keys")] IReadOnlyList<KeyDocument> Keys);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyRingFile))]
[JsonSerializable(typeof(KeyDocument))]
internal sealed partial class KeyJsonContext : JsonSerializerContext;
