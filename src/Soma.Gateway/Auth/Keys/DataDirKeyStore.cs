using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// The embedded ring: <c>{DataDir}/keys.json</c> (mode 0600). Created on first use from <c>jwt-hs256.key</c> (made as before
/// when missing), whose key becomes the legacy key, so tokens issued before the ring existed keep verifying. Changes
/// (<c>soma keys rotate</c>, <c>retire</c>) take a lock file and replace the ring by an atomic rename.
/// </summary>
public sealed class DataDirKeyStore : IKeySource
{
    private static readonly TimeSpan LockPatience = TimeSpan.FromSeconds(10);
    private readonly string _legacyKeyPath;
    private readonly TimeProvider _clock;
    private KeyRing? _last;

    /// <summary>Creates the store.</summary>
    /// <param name="ringPath">The ring file.</param>
    /// <param name="legacyKeyPath">The HS256 key file it is seeded from.</param>
    /// <param name="clock">The clock.</param>
    public DataDirKeyStore(string ringPath, string legacyKeyPath, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ringPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(legacyKeyPath);
        RingPath = Path.GetFullPath(ringPath);
        _legacyKeyPath = Path.GetFullPath(legacyKeyPath);
        _clock = clock;
    }

    /// <summary>The ring file.</summary>
    public string RingPath { get; }

    /// <inheritdoc/>
    public string Name => "data-dir";

    /// <inheritdoc/>
    public string? WatchedFolder => Path.GetDirectoryName(RingPath);

    /// <inheritdoc/>
    public string? WatchedFile => Path.GetFileName(RingPath);

    /// <inheritdoc/>
    public Task<KeyRing> LoadAsync(CancellationToken cancellationToken = default) => Task.FromResult(Load());

    /// <summary>Reads the ring, creating it (and migrating <c>jwt-hs256.key</c>) on first use.</summary>
    /// <exception cref="KeySourceException">The file cannot be read or holds a wrong key.</exception>
    public KeyRing Load()
    {
        if (!File.Exists(RingPath))
        {
            Change(keys => keys);
        }

        return Parse(ReadBytes());
    }

    /// <summary>
    /// Adds a new key as pending; it becomes the signer after <paramref name="grace"/> and the current signer is retired
    /// <paramref name="retireAfter"/> later (the longest token lifetime, so every token it signed has expired).
    /// </summary>
    /// <returns>The new key.</returns>
    public KeyDocument Rotate(string algorithm, TimeSpan grace, TimeSpan retireAfter)
    {
        var now = _clock.GetUtcNow();
        var added = RingKey.Generate(algorithm, now) with { ActivateAt = now + grace };
        Change(keys =>
        {
            // Every key not yet due to retire steps down when the new one takes over, and is retired once every token it
            // signed has expired.
            return [.. keys.Select(k => k.RetireAt is null && k.State != "retired" ? k with { RetireAt = added.ActivateAt + retireAfter } : k), added];
        });
        return added;
    }

    /// <summary>Retires <paramref name="kid"/> now: tokens it signed are refused at once (a leaked key).</summary>
    /// <exception cref="KeySourceException">No such key, or it is the only key that can sign.</exception>
    public void Retire(string kid)
    {
        var now = _clock.GetUtcNow();
        Change(keys =>
        {
            if (!keys.Any(k => k.Kid == kid))
            {
                throw new KeySourceException($"No key '{kid}' in {RingPath}.");
            }

            var after = keys.Select(k => k.Kid == kid ? k with { State = "retired", RetireAt = now } : k).ToList();
            var ring = new KeyRing([.. after.Select(k => RingKey.Parse(k, RingPath))], "");
            return ring.Keys.Any(k => k.Signer is not null && k.BaseState(now) != SigningKeyState.Retired)
                ? after
                : throw new KeySourceException($"'{kid}' is the last key that can sign; run 'soma keys rotate' first (with --grace 0s when it leaked).");
        });
    }

    private KeyRing Parse(byte[] bytes)
    {
        // Polled every few seconds: parse (RSA keys are slow to load) only when the content changed.
        var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        if (_last is { } last && last.Version == version)
        {
            return last;
        }

        KeyRingFile? file;
        try
        {
            file = JsonSerializer.Deserialize(bytes, KeyJsonContext.Default.KeyRingFile);
        }
        catch (JsonException ex)
        {
            throw new KeySourceException($"{RingPath} is not a key ring (line {ex.LineNumber + 1}).");
        }

        try
        {
            var keys = (file?.Keys ?? []).Select((k, i) => RingKey.Parse(k, $"{RingPath} key #{i + 1}")).ToList();
            return _last = new KeyRing(keys, version);
        }
        catch (InvalidDataException ex)
        {
            throw new KeySourceException(ex.Message, ex);
        }
    }

    private byte[] ReadBytes()
    {
        try
        {
            return File.ReadAllBytes(RingPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeySourceException($"Cannot read {RingPath}: {ex.Message}", ex) { IsTransient = ex is IOException };
        }
    }

    private void Change(Func<IReadOnlyList<KeyDocument>, IReadOnlyList<KeyDocument>> change)
    {
        var folder = Path.GetDirectoryName(RingPath)!;
        CreateFolder(folder);
        using var gate = Lock();
        IReadOnlyList<KeyDocument> keys;
        if (File.Exists(RingPath))
        {
            keys = JsonSerializer.Deserialize(ReadBytes(), KeyJsonContext.Default.KeyRingFile)?.Keys ?? [];
        }
        else
        {
            keys = [Migrate()];
        }

        var changed = change(keys);
        var temp = Path.Combine(folder, $".keys-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, new KeyRingFile(changed), KeyJsonContext.Default.KeyRingFile);
            stream.Flush(flushToDisk: true);
        }

        // A rename replaces the ring at once: a reader sees the old ring or the new one, never half of one.
        File.Move(temp, RingPath, overwrite: true);
    }

    private KeyDocument Migrate()
    {
        byte[] secret;
        try
        {
            secret = Hs256KeyFile.LoadOrCreate(_legacyKeyPath, out _);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new KeySourceException($"Cannot use the key file '{_legacyKeyPath}': {ex.Message}", ex);
        }

        return new KeyDocument
        {
            Kid = RingKey.LegacyKid(secret),
            Alg = SecurityAlgorithms.HmacSha256,
            Created = File.GetLastWriteTimeUtc(_legacyKeyPath),
            Legacy = true,
            Secret = Convert.ToBase64String(secret),
        };
    }

    private FileStream Lock()
    {
        var path = RingPath + ".lock";
        var deadline = _clock.GetUtcNow() + LockPatience;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                return new FileStream(path, options);
            }
            catch (IOException) when (_clock.GetUtcNow() < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(folder);
        }
        else
        {
            System.IO.Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
