namespace Soma.Gateway.Auth.Keys;

/// <summary>Makes the <see cref="IKeySource"/> that <see cref="KeyRingOptions"/> names (for the server and the CLI).</summary>
public static class KeySources
{
    /// <summary>Creates the source.</summary>
    /// <param name="keys">The ring's options (with <see cref="KeyRingOptions.Source"/> and <see cref="KeyRingOptions.File"/> resolved).</param>
    /// <param name="hs256KeyPath">The legacy HS256 key file (<c>Soma:Auth:Hs256KeyPath</c> or <c>{DataDir}/jwt-hs256.key</c>).</param>
    /// <param name="clock">The clock.</param>
    public static IKeySource Create(KeyRingOptions keys, string hs256KeyPath, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.Source switch
        {
            KeySourceKind.Directory => new DirectoryKeySource(keys.Directory!),
            KeySourceKind.Vault => new VaultKeySource(keys.Vault),
            KeySourceKind.KeyFile => new KeyFileSource(hs256KeyPath),
            _ => new DataDirKeyStore(keys.File ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(hs256KeyPath))!, "keys.json"), hs256KeyPath, clock),
        };
    }
}
