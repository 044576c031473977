using System.Security.Cryptography;

namespace Soma.Gateway.Auth;

/// <summary>
/// The embedded HS256 signing key: 256 random bits, base64 in a file readable only by its owner (mode 0600).
/// Shared by the gateway (verifying) and <c>soma token issue</c> (signing).
/// </summary>
public static class Hs256KeyFile
{
    private const int KeyBytes = 32;

    /// <summary>Reads the key at <paramref name="path"/>, creating it (and its folder) when missing.</summary>
    /// <param name="path">The key file.</param>
    /// <param name="created">True when this call created the key (a first start).</param>
    /// <returns>The key bytes.</returns>
    public static byte[] LoadOrCreate(string path, out bool created)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        created = false;
        if (!File.Exists(path))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            var key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                // CreateNew: two processes starting at once must not overwrite each other's key.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(path, options))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(Convert.ToBase64String(key));
                }

                created = true;
                return key;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process won the race; use its key.
            }
        }

        return Load(path);
    }

    /// <summary>Reads an existing key file.</summary>
    /// <exception cref="InvalidDataException">The file does not hold a base64 key of at least 256 bits.</exception>
    public static byte[] Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var text = File.ReadAllText(path).Trim();
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"The HS256 key file '{path}' is not base64.");
        }

        return key.Length >= KeyBytes
            ? key
            : throw new InvalidDataException($"The HS256 key file '{path}' holds {key.Length * 8} bits; at least {KeyBytes * 8} are required.");
    }
}
