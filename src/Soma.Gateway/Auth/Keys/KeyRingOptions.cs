namespace Soma.Gateway.Auth.Keys;

/// <summary>Where the signing key ring comes from, bound from <c>Soma:Auth:Keys</c> (embedded authentication only).</summary>
public sealed class KeyRingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Auth:Keys";

    /// <summary>
    /// <c>DataDir</c> (default: <c>{DataDir}/keys.json</c>, rotated with <c>soma keys rotate</c>), <c>Directory</c> (a watched
    /// folder: a Kubernetes Secret or Vault Agent mount), <c>Vault</c> (Vault KV v2 over HTTP) or <c>KeyFile</c> (the single
    /// HS256 file of <c>Soma:Auth:Hs256KeyPath</c>, no rotation; the default when that key is set).
    /// </summary>
    public KeySourceKind? Source { get; set; }

    /// <summary>DataDir: the ring file; default <c>{DataDir}/keys.json</c> (mode 0600).</summary>
    public string? File { get; set; }

    /// <summary>Directory: the watched folder holding one <c>&lt;kid&gt;.json</c> file per key.</summary>
    public string? Directory { get; set; }

    /// <summary>DataDir, Directory, KeyFile: how often the files are read again (a file watcher also wakes the reload). Default 2 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Vault KV v2 settings.</summary>
    public VaultKeyOptions Vault { get; set; } = new();
}

/// <summary>The sources of <see cref="KeyRingOptions.Source"/>.</summary>
public enum KeySourceKind
{
    /// <summary><c>{DataDir}/keys.json</c>, migrated from <c>jwt-hs256.key</c>.</summary>
    DataDir,

    /// <summary>A watched folder of <c>&lt;kid&gt;.json</c> files.</summary>
    Directory,

    /// <summary>Vault KV v2.</summary>
    Vault,

    /// <summary>The one HS256 file of <c>Soma:Auth:Hs256KeyPath</c>.</summary>
    KeyFile,
}

/// <summary>Vault KV v2: <c>GET {Address}/v1/{Mount}/data/{Path}</c>, bound from <c>Soma:Auth:Keys:Vault</c>.</summary>
public sealed class VaultKeyOptions
{
    /// <summary>The Vault server, e.g. <c>https://vault.example:8200</c>.</summary>
    public Uri? Address { get; set; }

    /// <summary>The KV v2 mount. Default <c>secret</c>.</summary>
    public string Mount { get; set; } = "secret";

    /// <summary>The secret's path under the mount, e.g. <c>soma/signing-keys</c>.</summary>
    public string? Path { get; set; }

    /// <summary>A Vault token (prefer <see cref="TokenPath"/> or Kubernetes auth).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the Vault token (read at every poll; Vault Agent renews it).</summary>
    public string? TokenPath { get; set; }

    /// <summary>Kubernetes auth: the Vault role to log in as with the pod's service account token.</summary>
    public string? KubernetesRole { get; set; }

    /// <summary>Kubernetes auth: the auth mount. Default <c>kubernetes</c>.</summary>
    public string KubernetesAuthMount { get; set; } = "kubernetes";

    /// <summary>Kubernetes auth: the service account token file.</summary>
    public string ServiceAccountTokenPath { get; set; } = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>How often the secret is read (±20 % jitter, so many pods do not poll together). Default 30 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one request to Vault may take. Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}
