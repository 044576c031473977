using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Soma.Gateway.Auth.Keys;

/// <summary>
/// Vault KV v2: <c>GET {Address}/v1/{Mount}/data/{Path}</c> with <c>X-Vault-Token</c>. Each entry of the secret's data is a
/// key: a <see cref="KeyDocument"/> as a JSON object or as a JSON string (the kid defaults to the entry's name); the
/// secret's <c>metadata.version</c> is the ring's version. The token comes from <c>Token</c>, from <c>TokenPath</c> (read each
/// time, so Vault Agent may renew it) or from a Kubernetes auth login with the pod's service account token.
/// </summary>
internal sealed class VaultKeySource : IKeySource, IDisposable
{
    private readonly VaultKeyOptions _options;
    private readonly HttpClient _http;
    private string? _loginToken;

    public VaultKeySource(VaultKeyOptions options, HttpMessageHandler? handler = null)
    {
        _options = options;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = options.Address,
            Timeout = options.Timeout,
        };
    }

    public string Name => "vault";

    public string? WatchedFolder => null;

    private string SecretUrl => $"v1/{_options.Mount.Trim('/')}/data/{_options.Path!.Trim('/')}";

    public async Task<KeyRing> LoadAsync(CancellationToken cancellationToken = default)
    {
        var token = await TokenAsync(cancellationToken).ConfigureAwait(false);
        using var response = await SendAsync(() => Get(token), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Forbidden && _options.KubernetesRole is not null)
        {
            // The login token expired or was revoked: log in again once.
            _loginToken = null;
            token = await TokenAsync(cancellationToken).ConfigureAwait(false);
            using var again = await SendAsync(() => Get(token), cancellationToken).ConfigureAwait(false);
            return await ReadAsync(again, cancellationToken).ConfigureAwait(false);
        }

        return await ReadAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage Get(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, SecretUrl);
        request.Headers.Add("X-Vault-Token", token);
        return request;
    }

    private async Task<KeyRing> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Fail(response, $"reading {SecretUrl}");
        JsonElement root;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            root = JsonElement.Parse(body);
        }
        catch (JsonException)
        {
            throw new KeySourceException($"Vault answered {SecretUrl} with a body that is not JSON.");
        }

        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("data", out var outer) || outer.ValueKind != JsonValueKind.Object
            || !outer.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw new KeySourceException($"Vault's answer for {SecretUrl} has no data.data object (is the mount KV version 2?).");
        }

        var version = outer.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
        var keys = new List<RingKey>();
        try
        {
            foreach (var entry in data.EnumerateObject())
            {
                var where = $"Vault {SecretUrl} version {version} entry '{entry.Name}'";
                KeyDocument? document;
                try
                {
                    document = entry.Value.ValueKind switch
                    {
                        JsonValueKind.Object => entry.Value.Deserialize(KeyJsonContext.Default.KeyDocument),
                        JsonValueKind.String => JsonSerializer.Deserialize(entry.Value.GetString()!, KeyJsonContext.Default.KeyDocument),
                        _ => null,
                    };
                }
                catch (JsonException)
                {
                    document = null;
                }

                keys.Add(RingKey.Parse(document ?? throw new InvalidDataException($"{where}: not a key document."), where, entry.Name));
            }

            return new KeyRing(keys, "vault-" + version);
        }
        catch (InvalidDataException ex)
        {
            throw new KeySourceException(ex.Message, ex);
        }
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_options.Token))
        {
            return _options.Token;
        }

        if (!string.IsNullOrEmpty(_options.TokenPath))
        {
            return (await ReadFileAsync(_options.TokenPath, "Soma:Auth:Keys:Vault:TokenPath", cancellationToken).ConfigureAwait(false)).Trim();
        }

        if (_loginToken is { } cached)
        {
            return cached;
        }

        var jwt = (await ReadFileAsync(_options.ServiceAccountTokenPath, "Soma:Auth:Keys:Vault:ServiceAccountTokenPath", cancellationToken).ConfigureAwait(false)).Trim();
        var url = $"v1/auth/{_options.KubernetesAuthMount.Trim('/')}/login";
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(
                    JsonSerializer.Serialize(new Dictionary<string, string> { ["role"] = _options.KubernetesRole!, ["jwt"] = jwt }),
                    Encoding.UTF8,
                    new MediaTypeHeaderValue("application/json")),
            },
            cancellationToken).ConfigureAwait(false);
        Fail(response, $"logging in at {url} as role '{_options.KubernetesRole}'");
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            _loginToken = body.RootElement.GetProperty("auth").GetProperty("client_token").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            _loginToken = null;
        }

        return _loginToken ?? throw new KeySourceException($"Vault's answer to {url} has no auth.client_token.");
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        using var message = request();
        try
        {
            return await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new KeySourceException($"Vault at {_options.Address} cannot be reached ({ex.HttpRequestError}).", ex) { IsTransient = true };
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KeySourceException($"Vault at {_options.Address} did not answer within {_options.Timeout.TotalSeconds:0.#} s.", ex) { IsTransient = true };
        }
    }

    private static void Fail(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var why = status switch
        {
            503 => "Vault is sealed or in standby (503)",
            403 => "permission denied (403): the token or role may not read this path",
            404 => "no such secret (404)",
            _ => $"HTTP {status}",
        };
        throw new KeySourceException($"Vault refused {what}: {why}.") { IsTransient = status is 503 or 429 or >= 500 };
    }

    private static async Task<string> ReadFileAsync(string path, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeySourceException($"Cannot read {key} '{path}': {ex.GetType().Name}.", ex) { IsTransient = true };
        }
    }
}
