using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// The single HS256 file of <c>Soma:Auth:Hs256KeyPath</c> as a ring of one legacy key (no rotation): what a server set up
/// before the ring existed keeps doing. Created with mode 0600 when missing, as before.
/// </summary>
internal sealed class KeyFileSource(string path) : IKeySource
{
    public string Name => "key-file";

    public string? WatchedFolder => Path.GetDirectoryName(Path.GetFullPath(path));

    public string? WatchedFile => Path.GetFileName(path);

    public Task<KeyRing> LoadAsync(CancellationToken cancellationToken = default)
    {
        byte[] secret;
        try
        {
            secret = Hs256KeyFile.LoadOrCreate(path, out _);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new KeySourceException($"Cannot use the key file '{path}': {ex.Message}", ex) { IsTransient = ex is IOException };
        }

        return Task.FromResult(FromSecret(secret));
    }

    internal static KeyRing FromSecret(byte[] secret)
    {
        var document = new KeyDocument { Alg = SecurityAlgorithms.HmacSha256, Legacy = true, Secret = Convert.ToBase64String(secret) };
        var kid = RingKey.LegacyKid(secret);
        return new KeyRing([RingKey.Parse(document, "key file", kid)], Convert.ToHexStringLower(SHA256.HashData(secret))[..16]);
    }
}
