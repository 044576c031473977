using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using Soma.Core.Tenancy;
using Soma.Gateway.Auth;
using Soma.Server.Hosting;

namespace Soma.Server.Cli;

/// <summary>The options every verb that talks to a running server shares: where it is and how to authenticate.</summary>
internal sealed class ServerApiOptions
{
    private readonly Option<string?> _url = new("--url") { Description = "The server (default $SOMA_URL, else http://127.0.0.1:8010).", HelpName = "url" };
    private readonly Option<string?> _token = new("--token") { Description = "Bearer token (default $SOMA_TOKEN, else one minted for --tenant from the local data dir's key).", HelpName = "token" };
    private readonly Option<string?> _tenant;
    private readonly Option<string?> _data = new("--data") { Description = "Data directory holding the key, for a minted token (default ./.soma).", HelpName = "dir" };
    private readonly Option<bool> _json = new("--json") { Description = "Print the API's JSON." };

    /// <param name="tenantDescription">What --tenant means for these verbs (it always picks the minted token's tenant; unset is the default tenant).</param>
    public ServerApiOptions(string tenantDescription = "Tenant for a minted token.")
    {
        _tenant = new Option<string?>("--tenant") { Description = tenantDescription, HelpName = "tenant" };
    }

    /// <summary>The --tenant option (some verbs use it for more than the token).</summary>
    public Option<string?> Tenant => _tenant;

    public void AddTo(Command command)
    {
        foreach (var option in (Option[])[_url, _token, _tenant, _data, _json])
        {
            command.Options.Add(option);
        }
    }

    public ServerApi Connect(ParseResult parse) =>
        new(parse.GetValue(_url), parse.GetValue(_token), parse.GetValue(_tenant) ?? TenantId.Default, parse.GetValue(_data), parse.GetValue(_json));
}

/// <summary>A running server's API, with the error handling every verb shares.</summary>
internal sealed class ServerApi(string? url, string? token, string tenant, string? dataDir, bool json)
{
    private HttpClient _http = null!;

    public async Task<int> RunAsync(Func<ServerApi, CancellationToken, Task<int>> verb, CancellationToken cancellationToken)
    {
        var baseUrl = url ?? Environment.GetEnvironmentVariable("SOMA_URL") ?? "http://127.0.0.1:8010";
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"soma: --url '{baseUrl}' is not an http(s) URL.");
            return ExitCodes.BadInput;
        }

        var bearer = token ?? Environment.GetEnvironmentVariable("SOMA_TOKEN") ?? MintToken();
        if (bearer is null)
        {
            return ExitCodes.BadInput;
        }

        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        _http = http;
        try
        {
            return await verb(this, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"soma: cannot reach {baseUri}: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    public Task<JsonElement?> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    /// <summary>Whether --json was given.</summary>
    public bool Json => json;

    /// <summary>POSTs and hands each line of an NDJSON answer to <paramref name="line"/> as it arrives. False (after printing why) on an error status.</summary>
    public async Task<bool> PostLinesAsync(string path, Action<JsonElement> line, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Console.Error.WriteLine($"soma: {(int)response.StatusCode} {Detail(text) ?? response.ReasonPhrase}");
            return false;
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            if (text.Length > 0)
            {
                line(JsonElement.Parse(text));
            }
        }

        return true;
    }

    public Task<JsonElement?> PostAsync(string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) }, cancellationToken);

    public int Print(JsonElement value, Action<JsonElement> human)
    {
        if (json)
        {
            Console.Out.WriteLine(value.GetRawText());
        }
        else
        {
            human(value);
        }

        return ExitCodes.Ok;
    }

    private async Task<JsonElement?> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (var response = await _http.SendAsync(request, cancellationToken))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonElement? body = null;
            try
            {
                body = text.Length == 0 ? null : JsonElement.Parse(text);
            }
            catch (JsonException)
            {
            }

            if (response.IsSuccessStatusCode && body is not null)
            {
                return body;
            }

            var detail = body is { ValueKind: JsonValueKind.Object } problem && problem.TryGetProperty("detail", out var d) ? d.GetString()
                : body is { ValueKind: JsonValueKind.Object } p2 && p2.TryGetProperty("title", out var t) ? t.GetString()
                : response.ReasonPhrase;
            Console.Error.WriteLine($"soma: {(int)response.StatusCode} {detail}");
            return null;
        }
    }

    private static string? Detail(string text)
    {
        try
        {
            return text.Length == 0 ? null : Detail(JsonElement.Parse(text));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Detail(JsonElement? body) =>
        body is { ValueKind: JsonValueKind.Object } problem && problem.TryGetProperty("detail", out var d) ? d.GetString()
        : body is { ValueKind: JsonValueKind.Object } p2 && p2.TryGetProperty("title", out var t) ? t.GetString()
        : null;

    private string? MintToken()
    {
        var configuration = SomaConfiguration.Build(new ServeSettings(DataDir: dataDir).ToOverrides());
        var auth = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        var keyPath = SomaConfiguration.ResolveHs256KeyPath(configuration);
        var local = SomaConfiguration.KeyRing(configuration).Source is Gateway.Auth.Keys.KeySourceKind.DataDir or Gateway.Auth.Keys.KeySourceKind.KeyFile;
        if (auth.Mode != AuthMode.Hs256 || (local && !File.Exists(keyPath)))
        {
            Console.Error.WriteLine($"soma: no token: pass --token or set SOMA_TOKEN (no local key at {keyPath} to mint one).");
            return null;
        }

        try
        {
            return KeysCommand.IssuerAsync(configuration, auth).GetAwaiter().GetResult().Issue(tenant, "cli", ["admin"], TimeSpan.FromMinutes(5));
        }
        catch (Exception ex) when (ex is Gateway.Auth.Keys.KeySourceException or InvalidOperationException)
        {
            Console.Error.WriteLine($"soma: no token: {ex.Message}");
            return null;
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"soma: {ex.Message.Split(" (Parameter", 2)[0]}");
            return null;
        }
    }
}
