using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// A watched folder (a Kubernetes Secret or Vault Agent mount): one <c>&lt;kid&gt;.json</c> file per key (a
/// <see cref="KeyDocument"/>; the kid defaults to the file name), and at most one <c>*.key</c> file holding a base64
/// HS256 secret (the legacy key, as <c>jwt-hs256.key</c> was mounted before). Names starting with a dot are skipped: a
/// Secret mount keeps its content in <c>..data</c> (a symlink swapped atomically on every update) and links each file to it,
/// so reading the top-level names sees the old set or the new one.
/// </summary>
internal sealed class DirectoryKeySource(string folder) : IKeySource
{
    private readonly string _folder = Path.GetFullPath(folder);
    private KeyRing? _last;

    public string Name => "directory";

    public string? WatchedFolder => _folder;

    public async Task<KeyRing> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(_folder))
        {
            throw new KeySourceException($"The key folder '{_folder}' does not exist (Soma:Auth:Keys:Directory).") { IsTransient = true };
        }

        var contents = new List<(string File, byte[] Bytes)>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            var files = Directory.EnumerateFiles(_folder)
                .Where(f => !Path.GetFileName(f).StartsWith('.') && (f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".key", StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var bytes = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
                hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file)));
                hash.AppendData(bytes);
                contents.Add((file, bytes));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file removed between listing and reading (a swap in progress): the next poll sees the new set.
            throw new KeySourceException($"Cannot read the key folder '{_folder}': {ex.Message}", ex) { IsTransient = true };
        }

        // Polled every few seconds: parse (RSA keys are slow to load) only when a file changed.
        var version = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        if (_last is { } last && last.Version == version)
        {
            return last;
        }

        try
        {
            return _last = new KeyRing([.. contents.Select(c => Parse(c.File, c.Bytes))], version);
        }
        catch (InvalidDataException ex)
        {
            throw new KeySourceException(ex.Message, ex);
        }
    }

    private static RingKey Parse(string file, byte[] bytes)
    {
        if (file.EndsWith(".key", StringComparison.Ordinal))
        {
            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(Encoding.UTF8.GetString(bytes).Trim());
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{file}: not a base64 HS256 key.");
            }

            return RingKey.Parse(
                new KeyDocument { Alg = "HS256", Legacy = true, Secret = Convert.ToBase64String(secret) }, file, RingKey.LegacyKid(secret));
        }

        KeyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(bytes, KeyJsonContext.Default.KeyDocument);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{file}: not a key document (line {ex.LineNumber + 1}).");
        }

        return RingKey.Parse(document ?? throw new InvalidDataException($"{file}: empty."), file, Path.GetFileNameWithoutExtension(file));
    }
}
